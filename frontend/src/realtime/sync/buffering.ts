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
 */

export interface BufferingOptions {
  graceMs?: number;
  dropAfterMs?: number;
  resumeLeadMs?: number;
}

interface Waiter {
  since: number;
  readyAt: number | null;
}

export interface HoldEffect {
  kind: 'hold';
  id: string;
  /** Server ms the room pauses at. */
  at: number;
  /** The peer whose stall caused it. */
  peer: string;
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

export type BufferingEffect = HoldEffect | ResumeEffect;

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

  /** A peer's report; returns true when it changed anything. */
  report(peer: string, on: boolean, at: number): boolean {
    if (on) {
      if (this.dropped.has(peer)) return false;
      const current = this.waiters.get(peer);
      if (current && current.readyAt === null) return false;
      this.waiters.set(peer, { since: at, readyAt: null });
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
    const since = Math.min(...pending.map((w) => w.since));
    return Math.max(since, stateAt) + this.graceMs;
  }

  /**
   * What the room should do now. `playing`/`stateAt` describe the room's current timeline
   * (a hold is only due while it plays, and never before it started playing).
   */
  evaluate(now: number, playing: boolean, stateAt: number): BufferingEffect | null {
    if (this.episode === null) {
      if (!playing) return null;
      let first: [string, Waiter] | null = null;
      for (const entry of this.waiters) {
        if (entry[1].readyAt !== null) continue;
        if (first === null || entry[1].since < first[1].since || (entry[1].since === first[1].since && entry[0] < first[0])) {
          first = entry;
        }
      }
      if (first === null) return null;
      const at = Math.max(first[1].since, stateAt) + this.graceMs;
      if (now < at) return null;
      this.episode = { id: `hold:${first[0]}:${Math.round(first[1].since)}`, at };
      return { kind: 'hold', id: this.episode.id, at, peer: first[0] };
    }
    const episode = this.episode;
    const entries = [...this.waiters.entries()];
    const stuck = entries.filter(([, w]) => w.readyAt === null);
    if (stuck.length === 0) {
      const lastReady = Math.max(episode.at, ...entries.map(([, w]) => w.readyAt ?? 0));
      this.episode = null;
      this.waiters.clear();
      return { kind: 'resume', id: `resume:${episode.id}`, holdId: episode.id, at: lastReady + this.resumeLeadMs, dropped: [] };
    }
    const deadline = episode.at + this.dropAfterMs;
    if (now < deadline) return null;
    const dropped = stuck.map(([p]) => p).sort();
    dropped.forEach((p) => this.dropped.add(p));
    this.episode = null;
    this.waiters.clear();
    return { kind: 'resume', id: `resume:${episode.id}`, holdId: episode.id, at: deadline + this.resumeLeadMs, dropped };
  }
}
