/**
 * Where a <video> should begin loading: a room's sync engine knows where its timeline will be once the media
 * is ready, and the player that feeds the element asks it just before fetching the first segment. A late
 * joiner then loads the part the room is about to watch instead of the film's beginning and a seek after it.
 */
import type { SegmentOf } from './segmentGrid';

/**
 * Given how soon (s) the media expects to be ready, and the segments its stream is cut into when known, where it
 * should start (s); null: no opinion.
 */
export type StartPlanner = (readyInS: number, segmentOf: SegmentOf | null) => number | null;

const planners = new WeakMap<HTMLMediaElement, StartPlanner>();

/** Whoever drives `media` says where it should start (null: it no longer drives it). */
export function setStartPlanner(media: HTMLMediaElement, planner: StartPlanner | null): void {
  if (planner) planners.set(media, planner);
  else planners.delete(media);
}

/** Where `media` should start loading, ready in about `readyInS`; 0 when nobody drives it. */
export function plannedStart(media: HTMLMediaElement, readyInS: number, segmentOf: SegmentOf | null = null): number {
  const position = planners.get(media)?.(readyInS, segmentOf) ?? null;
  return position !== null && Number.isFinite(position) && position > 0 ? position : 0;
}

/**
 * How soon a stream is ready to show its start position, from how long its master playlist took to answer
 * (ms): the media playlist, then the init and first segments, each about one such round trip, and their bytes.
 */
export function firstLoadEstimateS(masterFirstByteMs: number): number {
  const roundTrip = Number.isFinite(masterFirstByteMs) && masterFirstByteMs > 0 ? masterFirstByteMs : 0;
  return Math.min(4, 0.3 + (5 * roundTrip) / 1000);
}
