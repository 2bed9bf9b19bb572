/**
 * Where a stream's segments begin and end, as its master playlist declares it (EXT-X-SESSION-DATA): every
 * segment lasts `segment` seconds, except the first `segment / opening` ones at the start of the film, which
 * last `opening` seconds. A player needs the whole segment a position falls in before it can show that position.
 */
import type { AttrList } from 'hls.js';

/** The master playlist's session data ids (the server writes them: flmnchll/media/hls.py). */
export const SEGMENT_SECONDS_ID = 'com.flmnchll.segment-seconds';
export const OPENING_SECONDS_ID = 'com.flmnchll.opening-segment-seconds';

/** The segment [start, end) (s) a position falls in. */
export type SegmentOf = (position: number) => readonly [number, number];

function seconds(data: Record<string, AttrList> | null | undefined, id: string): number | null {
  const value = Number(data?.[id]?.VALUE);
  return Number.isFinite(value) && value > 0 ? value : null;
}

/** The stream's segments from its master playlist's session data; null when it does not declare them. */
export function segmentGrid(sessionData: Record<string, AttrList> | null | undefined): SegmentOf | null {
  const segment = seconds(sessionData, SEGMENT_SECONDS_ID);
  if (segment === null) return null;
  const opening = Math.min(seconds(sessionData, OPENING_SECONDS_ID) ?? segment, segment);
  return (position) => {
    const step = position < segment ? opening : segment;
    const start = Math.floor(Math.max(0, position) / step) * step;
    return [start, start + step];
  };
}
