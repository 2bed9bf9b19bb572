/**
 * Buffering protocol, decided identically on every peer from the same reports.
 *
 * A peer that stalls broadcasts `buffering on` stamped with server time `since`. If it is still
 * waiting `graceMs` later and the room is playing, every peer derives the same hold: pause at
 * `since + grace` (the position the timeline had then). When every waited-for peer has reported
 * `buffering off`, every peer derives the same resume: play from the hold position at
 * max(ready stamps) + resumeLeadMs. A peer still waiting `dropAfterMs` after the hold is dropped
 * from the wait (resume at holdAt + dropAfterMs + resumeLeadMs) and cannot hold the room again
 * until it has reported being ready.
 *
 * Reports arrive at each peer after their own delay, so a peer can derive a hold that the stalled peer
 * itself never did: its `buffering off`, stamped before the hold's moment, arrived after it. The stamps
 * settle it: when every waited-for peer turns out to have been ready before the hold's moment, the hold
 * is void, and the peers that took it go back to the timeline before it (the one the others never left).
 *
 * A peer whose film is still being encoded reports ahead of time that it will wait at its encoded edge
 * (`edge`: the furthest position it can play): the hold then comes exactly when the timeline gets there
 * (no grace: the edge is known, not a guess), at that position. Such a wait is not dropped: going on
 * without that peer would run the timeline past what it can play; it ends when more is encoded.
 */

export interface BufferingOptions {
  graceMs?: number;
  dropAfterMs?: number;
  resumeLeadMs?: number;
}

interface Waiter {
  since: number;
  readyAt: number | null;
  /** The furthest position (s) the peer can play, when it waits for the encoder rather than its network. */
  edge: number | null;
}

export interface HoldEffect {
  kind: 'hold';
  id: string;
  /** Server ms the room pauses at. */
  at: number;
  /** The peer whose stall caused it. */
  peer: string;
  /** Where the film is encoded up to (s) for the peers waiting for the encoder: the hold stays within it. */
  edge?: number;
}

export interface ResumeEffect {
  kind: 'resume';
  id: string;
  holdId: string;
  /** Server ms the room plays again at. */
  at: number;
  /** Peers dropped from the wait (timed out). */
  dropped: string[];
}

/** Peers that could not load in time dropped from a wait that goes on (for the encoder). */
export interface DropEffect {
  kind: 'drop';
  dropped: string[];
}

/** A hold nobody should have taken: everyone it waited for was ready before its moment. */
export interface VoidEffect {
  kind: 'void';
  holdId: string;
}

export type BufferingEffect = HoldEffect | ResumeEffect | DropEffect | VoidEffect;

export class BufferingCoordinator {
  readonly graceMs: number;
  readonly dropAfterMs: number;
  readonly resumeLeadMs: number;
  private waiters = new Map<string, Waiter>();
  private dropped = new Set<string>();
  private episode: { id: string; at: number } | null = null;

  constructor(options: BufferingOptions = {}) {
    this.graceMs = options.graceMs ?? 800;
    this.dropAfterMs = options.dropAfterMs ?? 10_000;
    this.resumeLeadMs = options.resumeLeadMs ?? 300;
  }

  /** Peers currently waited for (buffering, not dropped, not ready). */
  get waiting(): string[] {
    return [...this.waiters.entries()].filter(([, w]) => w.readyAt === null).map(([p]) => p);
  }

  get holding(): { id: string; at: number } | null {
    return this.episode;
  }

  isDropped(peer: string): boolean {
    return this.dropped.has(peer);
  }

  /** Whether the room waits for the encoder (a waited-for peer is at its encoded edge). */
  get waitingForEncoder(): boolean {
    return [...this.waiters.values()].some((w) => w.readyAt === null && w.edge !== null);
  }

  /** A peer's report (`edge`: it will wait at that encoded position); returns true when it changed anything. */
  report(peer: string, on: boolean, at: number, edge: number | null = null): boolean {
    if (on) {
      if (this.dropped.has(peer)) return false;
      const current = this.waiters.get(peer);
      if (current && current.readyAt === null) return false;
      this.waiters.set(peer, { since: at, readyAt: null, edge });
      return true;
    }
    if (this.dropped.delete(peer)) return true;
    const current = this.waiters.get(peer);
    if (!current || current.readyAt !== null) return false;
    if (this.episode === null) this.waiters.delete(peer);
    else current.readyAt = Math.max(at, current.since);
    return true;
  }

  /** A peer left the room: stop waiting for it. */
  remove(peer: string, now: number): void {
    this.dropped.delete(peer);
    const w = this.waiters.get(peer);
    if (!w) return;
    if (this.episode === null) this.waiters.delete(peer);
    else if (w.readyAt === null) w.readyAt = Math.max(now, w.since);
  }

  /** Forget the episode (the room was paused or moved by a member meanwhile). */
  cancelEpisode(): void {
    this.episode = null;
    for (const [peer, w] of this.waiters) if (w.readyAt !== null) this.waiters.delete(peer);
  }

  /** Next server time at which `evaluate` may have something to say (Infinity when none). */
  nextDeadline(stateAt: number): number {
    if (this.episode) return this.episode.at + this.dropAfterMs;
    const pending = [...this.waiters.values()].filter((w) => w.readyAt === null);
    if (pending.length === 0) return Number.POSITIVE_INFINITY;
    return Math.min(...pending.map((w) => this.holdAt(w, stateAt)));
  }

  /** When a waiter's wait holds the room: a stall after the grace, an encoded edge when the timeline gets there. */
  private holdAt(w: Waiter, stateAt: number): number {
    return w.edge !== null ? Math.max(w.since, stateAt + 1) : Math.max(w.since, stateAt) + this.graceMs;
  }

  /**
   * What the room should do now. `playing`/`stateAt` describe the room's current timeline
   * (a hold is only due while it plays, and never before it started playing).
   */
  evaluate(now: number, playing: boolean, stateAt: number): BufferingEffect | null {
    if (this.episode === null) {
      if (!playing) return null;
      let first: { peer: string; at: number; since: number } | null = null;
      const edges: number[] = [];
      for (const [peer, w] of this.waiters) {
        if (w.readyAt !== null) continue;
        if (w.edge !== null) edges.push(w.edge);
        const at = this.holdAt(w, stateAt);
        const earlier = first === null || at < first.at || (at === first.at && (w.since < first.since || (w.since === first.since && peer < first.peer)));
        if (earlier) first = { peer, at, since: w.since };
      }
      if (first === null) return null;
      const { peer, at, since } = first;
      if (now < at) return null;
      this.episode = { id: `hold:${peer}:${Math.round(since)}`, at };
      const hold: HoldEffect = { kind: 'hold', id: this.episode.id, at, peer };
      if (edges.length > 0) hold.edge = Math.min(...edges);
      return hold;
    }
    const episode = this.episode;
    const entries = [...this.waiters.entries()];
    const stuck = entries.filter(([, w]) => w.readyAt === null);
    if (stuck.length === 0) {
      const lastReady = Math.max(episode.at, ...entries.map(([, w]) => w.readyAt ?? 0));
      this.episode = null;
      this.waiters.clear();
      const voided = entries.length > 0 && entries.every(([, w]) => w.readyAt !== null && w.readyAt < episode.at);
      if (voided) return { kind: 'void', holdId: episode.id };
      return { kind: 'resume', id: `resume:${episode.id}`, holdId: episode.id, at: lastReady + this.resumeLeadMs, dropped: [] };
    }
    const deadline = episode.at + this.dropAfterMs;
    if (now < deadline) return null;
    const dropped = stuck.filter(([, w]) => w.edge === null).map(([p]) => p).sort();
    dropped.forEach((p) => this.dropped.add(p));
    if (dropped.length < stuck.length) {
      // the rest wait for the encoder, which nobody can play ahead of: the wait goes on without the others
      dropped.forEach((p) => this.waiters.delete(p));
      return dropped.length > 0 ? { kind: 'drop', dropped } : null;
    }
    this.episode = null;
    this.waiters.clear();
    return { kind: 'resume', id: `resume:${episode.id}`, holdId: episode.id, at: deadline + this.resumeLeadMs, dropped };
  }
}
