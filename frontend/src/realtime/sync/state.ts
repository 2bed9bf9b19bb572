import type { SyncState } from './types';

/** Where the timeline is at server time `now` (s); paused states stay put. Never negative. */
export function positionAt(state: SyncState, now: number): number {
  if (!state.playing) return Math.max(0, state.position);
  return Math.max(0, state.position + ((now - state.at) / 1000) * state.rate);
}

/** Clamps a position to the media's known duration (a small margin before the end). */
export function clampToDuration(position: number, duration: number): number {
  const p = Math.max(0, position);
  if (!Number.isFinite(duration) || duration <= 0) return p;
  return Math.min(p, Math.max(0, duration - 0.05));
}

/** How far apart (s) two descriptions of a timeline may be and still be the same one (the engine steers within it). */
const SAME_COURSE_S = 0.05;

/**
 * Whether two playing states describe one timeline: the same rate, at most SAME_COURSE_S apart at server time
 * `now`. (The room function's playback and a peer's state stamp the same command differently: this is how a
 * late joiner tells a confirmation from a change.) Paused states never count: a paused media is put exactly on
 * the newest one.
 */
export function sameCourse(a: SyncState, b: SyncState, now: number): boolean {
  if (!a.playing || !b.playing || Math.abs(a.rate - b.rate) > 1e-6) return false;
  return Math.abs(positionAt(a, now) - positionAt(b, now)) <= SAME_COURSE_S;
}

/** Total order of states: later `at` wins, ties broken by id. */
export function isNewer(a: SyncState, b: SyncState | null): boolean {
  if (b === null) return true;
  if (a.at !== b.at) return a.at > b.at;
  return a.id > b.id;
}

/** Playback as the room functions describe it (either `state` or `playing`). */
export interface ServerPlayback {
  state?: 'playing' | 'paused';
  playing?: boolean;
  position?: number;
  updated_at?: number;
  rate?: number;
}

/** Turns the room function's playback into a SyncState (stamped with the server's updated_at). */
export function fromServerPlayback(p: ServerPlayback | null | undefined, fallbackNow: number): SyncState {
  const playing = p?.state !== undefined ? p.state === 'playing' : Boolean(p?.playing);
  const rate = typeof p?.rate === 'number' && p.rate > 0 ? p.rate : 1;
  const position = typeof p?.position === 'number' && Number.isFinite(p.position) ? Math.max(0, p.position) : 0;
  const at = typeof p?.updated_at === 'number' && Number.isFinite(p.updated_at) ? p.updated_at : fallbackNow;
  return { playing, position, at, rate, id: 'server' };
}

export function sameTimeline(a: SyncState, b: SyncState, toleranceS = 0.001): boolean {
  if (a.playing !== b.playing || a.rate !== b.rate) return false;
  return Math.abs(positionAt(a, b.at) - b.position) <= toleranceS;
}

/** Percentile (0..100) of a list of numbers; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((x, y) => x - y);
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
}

/** Fixed-size window of recent numbers. */
export class Window {
  private readonly size: number;
  private values: number[] = [];

  constructor(size: number) {
    this.size = size;
  }

  push(v: number): void {
    if (!Number.isFinite(v)) return;
    this.values.push(v);
    if (this.values.length > this.size) this.values.shift();
  }

  get length(): number {
    return this.values.length;
  }

  p(pct: number): number {
    return percentile(this.values, pct);
  }

  all(): readonly number[] {
    return this.values;
  }
}
