import { describe, expect, it } from 'vitest';
import { firstLoadEstimateS, plannedStart, setStartPlanner } from './startPlan';

describe('where a video starts loading', () => {
  it('asks whoever drives the element, with how soon the media expects to be ready', () => {
    const video = document.createElement('video');
    expect(plannedStart(video, 1)).toBe(0);
    const asked: number[] = [];
    setStartPlanner(video, (readyInS) => {
      asked.push(readyInS);
      return 1834.2;
    });
    expect(plannedStart(video, 0.9)).toBe(1834.2);
    expect(asked).toEqual([0.9]);
    setStartPlanner(video, null);
    expect(plannedStart(video, 0.9)).toBe(0);
  });

  it('starts from the beginning when the planner has no usable answer', () => {
    const video = document.createElement('video');
    for (const answer of [null, Number.NaN, -3, Number.POSITIVE_INFINITY]) {
      setStartPlanner(video, () => answer);
      expect(plannedStart(video, 1)).toBe(0);
    }
  });

  it('expects a slow link to take longer to show the first picture', () => {
    expect(firstLoadEstimateS(2)).toBeCloseTo(0.31, 3);
    expect(firstLoadEstimateS(160)).toBeCloseTo(1.1, 2);
    expect(firstLoadEstimateS(Number.NaN)).toBeCloseTo(0.3, 3);
    expect(firstLoadEstimateS(5000)).toBe(4);
  });
});
