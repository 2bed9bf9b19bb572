/**
 * A film still being encoded plays while its playlists grow: each member can play only as far as its
 * stream is published (its encoded edge). The room's timeline must never run past what everyone can
 * play: seeks past it are clamped, and a playing room waits there for more, as it waits for a slow member.
 */
import type { EncodedEdge, SyncState } from './types';

/** The room stops this far before the edge (s): the last segment's frames may end a little short of it. */
export const EDGE_MARGIN_S = 0.2;

/** A member tells the others about its edge again once it moved this far (s), or when it stops growing. */
const EDGE_STEP_S = 0.5;

/**
 * The furthest position (s) everyone can play: the lowest edge among the streams that still grow, less
 * the margin; Infinity when none grows (a finished film ends at its duration, as always).
 */
export function playableLimit(edges: Iterable<EncodedEdge | null | undefined>): number {
  let limit = Number.POSITIVE_INFINITY;
  for (const e of edges) {
    if (e && e.growing && Number.isFinite(e.edge)) limit = Math.min(limit, Math.max(0, e.edge - EDGE_MARGIN_S));
  }
  return limit;
}

/** A seek's position within the playable limit; `clamped` when it asked for more than is encoded. */
export function clampSeek(position: number, limit: number): { position: number; clamped: boolean } {
  const p = Math.max(0, position);
  if (Number.isNaN(p) || p <= limit) return { position: p, clamped: false };
  return { position: limit, clamped: true };
}

/** Server time (ms) at which a playing timeline reaches `limit` (s); null while paused or without a limit. */
export function reachesAt(state: SyncState, limit: number): number | null {
  if (!state.playing || !Number.isFinite(limit) || !(state.rate > 0)) return null;
  return state.at + ((limit - state.position) / state.rate) * 1000;
}

/**
 * When this member should tell the room that it will wait at its edge: the moment the timeline gets there
 * (server ms, the report's stamp, never before `now` is near it), or null while that is more than
 * `noticeMs` away (or never). Telling it `noticeMs` early lets every peer hold at the very moment.
 */
export function edgeWaitAt(state: SyncState, edge: EncodedEdge | null, now: number, noticeMs: number): number | null {
  if (!edge || !edge.growing) return null;
  const reach = reachesAt(state, playableLimit([edge]));
  if (reach === null || reach - noticeMs > now) return null;
  return Math.max(reach, state.at + 1);
}

/**
 * A member waiting at its edge can go on once `aheadS` of film past `position` is encoded (or its stream
 * has ended, whatever is left).
 */
export function edgeAllows(edge: EncodedEdge | null, position: number, aheadS: number): boolean {
  if (!edge || !edge.growing) return true;
  return playableLimit([edge]) - position >= aheadS;
}

/** The edges the other members told this one about, and when this member must tell its own. */
export class RoomEdges {
  private readonly peers = new Map<string, EncodedEdge>();
  private told: EncodedEdge | null = null;

  note(peer: string, edge: EncodedEdge): void {
    this.peers.set(peer, { edge: edge.edge, growing: edge.growing });
  }

  forget(peer: string): void {
    this.peers.delete(peer);
  }

  /** Another film: what the others said of the last one no longer holds. */
  clear(): void {
    this.peers.clear();
    this.told = null;
  }

  /** The furthest position everyone can play, this member's own edge included. */
  limit(own: EncodedEdge | null): number {
    return playableLimit([own, ...this.peers.values()]);
  }

  /**
   * What to tell the others of this member's edge now, or null: a growing edge once it moved on enough,
   * and once that it stopped growing (its stream ended, or it plays a whole film now).
   */
  toTell(own: EncodedEdge | null): EncodedEdge | null {
    const last = this.told;
    const current = own ?? { edge: last?.edge ?? 0, growing: false };
    if (last === null ? !current.growing : last.growing === current.growing && (!current.growing || Math.abs(last.edge - current.edge) < EDGE_STEP_S)) {
      return null;
    }
    this.told = { ...current };
    return current;
  }

  /** The next look tells the edge again (to members who joined since). */
  retell(): void {
    if (this.told?.growing) this.told = null;
  }
}
