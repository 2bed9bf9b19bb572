import { describe, expect, it } from 'vitest';
import { LearntLatencies } from './latencies';

describe('LearntLatencies', () => {
  it('does not learn from the first start after loading, then moves halfway to each sample', () => {
    const l = new LearntLatencies(0.15, 0.03);
    // given 30 ms of head start, the media was 70 ms behind at its first look: it took 100 ms
    l.watchStart(0.03);
    expect(l.firstLook(-0.07, 1)).toBe(true);
    expect(l.playS).toBeCloseTo(0.03);
    l.watchStart(0.03);
    expect(l.firstLook(-0.07, 1)).toBe(true);
    expect(l.playS).toBeCloseTo(0.065);
  });

  it('looks once per start, and a media changed is cold again', () => {
    const l = new LearntLatencies(0.15, 0.03);
    expect(l.firstLook(0, 1)).toBe(false);
    l.watchStart(0.03);
    l.firstLook(0, 1);
    expect(l.firstLook(-0.07, 1)).toBe(false);
    l.coldAgain();
    l.watchStart(0.03);
    l.firstLook(-0.07, 1);
    expect(l.playS).toBeCloseTo(0.03);
  });

  it('ignores starts far off the timeline (a late command, not a slow start)', () => {
    const l = new LearntLatencies(0.15, 0.03);
    l.watchStart(0.03);
    l.firstLook(0, 1);
    l.watchStart(0.03);
    l.firstLook(-0.5, 1);
    expect(l.playS).toBeCloseTo(0.03);
  });

  it('learns seeks slowly, ignoring impossible samples, and leads follow', () => {
    const l = new LearntLatencies(0.15, 0.03);
    l.learnSeek(9);
    l.learnSeek(-1);
    expect(l.seekS).toBeCloseTo(0.15);
    l.learnSeek(0.05);
    expect(l.seekS).toBeCloseTo(0.12);
    expect(l.restartLeadS()).toBeCloseTo(0.29);
    expect(l.seekLeadMs(10)).toBeCloseTo(2 * 120 + 2 * 10 + 30);
    expect(new LearntLatencies(0.01, 0).seekLeadMs(0)).toBe(200);
    expect(new LearntLatencies(3, 0).seekLeadMs(0)).toBe(3000);
  });
});
