import type { AttrList } from 'hls.js';
import { describe, expect, it } from 'vitest';
import { OPENING_SECONDS_ID, SEGMENT_SECONDS_ID, segmentGrid } from './segmentGrid';

const declared = (values: Record<string, string>) =>
  Object.fromEntries(Object.entries(values).map(([id, value]) => [id, { VALUE: value } as unknown as AttrList]));

describe("a stream's segments, as its master playlist declares them", () => {
  it('gives the 2 s segment a position falls in, and the 1 s opening ones at the start', () => {
    const segmentOf = segmentGrid(declared({ [SEGMENT_SECONDS_ID]: '2', [OPENING_SECONDS_ID]: '1' }))!;
    expect(segmentOf(47.62)).toEqual([46, 48]);
    expect(segmentOf(48)).toEqual([48, 50]);
    expect(segmentOf(0.4)).toEqual([0, 1]);
    expect(segmentOf(1.5)).toEqual([1, 2]);
    expect(segmentOf(2)).toEqual([2, 4]);
  });

  it('knows nothing when the playlist declares nothing usable', () => {
    expect(segmentGrid(null)).toBeNull();
    expect(segmentGrid(declared({ [SEGMENT_SECONDS_ID]: 'soon' }))).toBeNull();
    expect(segmentGrid(declared({ [SEGMENT_SECONDS_ID]: '0' }))).toBeNull();
  });

  it('takes every segment as equal when no opening length is declared', () => {
    const segmentOf = segmentGrid(declared({ [SEGMENT_SECONDS_ID]: '4' }))!;
    expect(segmentOf(1)).toEqual([0, 4]);
    expect(segmentOf(9)).toEqual([8, 12]);
  });
});
