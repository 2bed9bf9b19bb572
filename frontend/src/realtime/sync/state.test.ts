import { describe, expect, it } from 'vitest';
import { sameCourse } from './state';
import type { SyncState } from './types';

const playing = (position: number, at: number, rate = 1): SyncState => ({ playing: true, position, at, rate, id: `p${at}` });
const paused = (position: number, at: number): SyncState => ({ playing: false, position, at, rate: 1, id: `s${at}` });

describe('whether a peer state only confirms the timeline a joiner started from', () => {
  it('counts one command stamped differently as the same playing timeline', () => {
    // the room function's record (at 10 s) and a peer's state (at 4 s) of the same play
    expect(sameCourse(playing(46, 10_000), playing(40, 4_000), 12_000)).toBe(true);
    expect(sameCourse(playing(46.04, 10_000), playing(40, 4_000), 12_000)).toBe(true);
  });

  it('takes a timeline 60 ms away, at another rate, or paused and playing, for a change', () => {
    expect(sameCourse(playing(46.06, 10_000), playing(40, 4_000), 12_000)).toBe(false);
    expect(sameCourse(playing(46, 10_000, 1.25), playing(40, 4_000, 1.25 * 1.0001), 12_000)).toBe(false);
    expect(sameCourse(paused(46, 10_000), playing(46, 10_000), 10_000)).toBe(false);
  });

  it('never counts paused states: a paused media is put exactly on the newest one', () => {
    expect(sameCourse(paused(46, 10_000), paused(46, 11_000), 12_000)).toBe(false);
  });
});
