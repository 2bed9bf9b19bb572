import { describe, expect, it } from 'vitest';
import { clampSeek, EDGE_MARGIN_S, edgeAllows, edgeWaitAt, playableLimit, reachesAt, RoomEdges } from './edge';
import type { SyncState } from './types';

const T = 1_700_000_000_000;
const playing = (position: number, at = T, rate = 1): SyncState => ({ playing: true, position, at, rate, id: 'p' });

describe('playableLimit', () => {
  it('is the lowest growing edge, less the margin', () => {
    const limit = playableLimit([
      { edge: 40, growing: true },
      { edge: 24, growing: true },
      { edge: 90, growing: false },
      null,
    ]);
    expect(limit).toBeCloseTo(24 - EDGE_MARGIN_S, 9);
  });

  it('is unlimited once every stream has ended', () => {
    expect(playableLimit([{ edge: 30, growing: false }, null])).toBe(Number.POSITIVE_INFINITY);
    expect(playableLimit([])).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('clampSeek', () => {
  it('stops a seek past the edge at the edge and says so', () => {
    expect(clampSeek(300, 23.8)).toEqual({ position: 23.8, clamped: true });
  });

  it('leaves a seek within what is encoded alone', () => {
    expect(clampSeek(12, 23.8)).toEqual({ position: 12, clamped: false });
    expect(clampSeek(12, Number.POSITIVE_INFINITY)).toEqual({ position: 12, clamped: false });
  });
});

describe('reachesAt', () => {
  it('is when a playing timeline gets to the limit, at its rate', () => {
    expect(reachesAt(playing(10), 14)).toBe(T + 4000);
    expect(reachesAt(playing(10, T, 2), 14)).toBe(T + 2000);
  });

  it('is never for a paused timeline or an unlimited film', () => {
    expect(reachesAt({ ...playing(10), playing: false }, 14)).toBeNull();
    expect(reachesAt(playing(10), Number.POSITIVE_INFINITY)).toBeNull();
  });
});

describe('edgeWaitAt', () => {
  const edge = { edge: 20.2, growing: true };

  it('tells the room the moment the timeline reaches the edge, once that is near', () => {
    // the limit is 20 s, reached 10 s after T
    expect(edgeWaitAt(playing(10), edge, T + 9000, 800)).toBeNull();
    expect(Math.abs((edgeWaitAt(playing(10), edge, T + 9200, 800) ?? 0) - (T + 10_000))).toBeLessThan(1);
  });

  it('waits right away, just after the timeline starts, when it starts at or past the edge', () => {
    expect(edgeWaitAt(playing(25), edge, T, 800)).toBe(T + 1);
  });

  it('says nothing of a stream that has ended or a paused room', () => {
    expect(edgeWaitAt(playing(19.9), { edge: 20.2, growing: false }, T, 800)).toBeNull();
    expect(edgeWaitAt({ ...playing(19.9), playing: false }, edge, T, 800)).toBeNull();
    expect(edgeWaitAt(playing(19.9), null, T, 800)).toBeNull();
  });
});

describe('edgeAllows', () => {
  it('lets a room waiting at the edge go on once enough more is encoded', () => {
    expect(edgeAllows({ edge: 21, growing: true }, 20, 2)).toBe(false);
    expect(edgeAllows({ edge: 22.2, growing: true }, 20, 2)).toBe(true);
  });

  it('lets it go on when the stream has ended, whatever is left', () => {
    expect(edgeAllows({ edge: 20.5, growing: false }, 20, 2)).toBe(true);
  });
});

describe('RoomEdges', () => {
  it("limits the room to the lowest of its members' edges, and forgets a member who left", () => {
    const edges = new RoomEdges();
    edges.note('B', { edge: 18, growing: true });
    edges.note('C', { edge: 30, growing: true });
    expect(edges.limit({ edge: 26, growing: true })).toBeCloseTo(18 - EDGE_MARGIN_S, 9);
    edges.forget('B');
    expect(edges.limit({ edge: 26, growing: true })).toBeCloseTo(26 - EDGE_MARGIN_S, 9);
    edges.clear();
    expect(edges.limit(null)).toBe(Number.POSITIVE_INFINITY);
  });

  it('tells a growing edge when it moved on enough, and once that it stopped growing', () => {
    const edges = new RoomEdges();
    expect(edges.toTell(null)).toBeNull();
    expect(edges.toTell({ edge: 4, growing: true })).toEqual({ edge: 4, growing: true });
    expect(edges.toTell({ edge: 4.2, growing: true })).toBeNull();
    expect(edges.toTell({ edge: 6, growing: true })).toEqual({ edge: 6, growing: true });
    edges.retell();
    expect(edges.toTell({ edge: 6, growing: true })).toEqual({ edge: 6, growing: true });
    expect(edges.toTell({ edge: 30, growing: false })).toEqual({ edge: 30, growing: false });
    expect(edges.toTell({ edge: 30, growing: false })).toBeNull();
  });

  it('tells the others when its film no longer grows at all (a whole film now)', () => {
    const edges = new RoomEdges();
    edges.toTell({ edge: 8, growing: true });
    expect(edges.toTell(null)).toEqual({ edge: 8, growing: false });
    expect(edges.toTell(null)).toBeNull();
  });
});
