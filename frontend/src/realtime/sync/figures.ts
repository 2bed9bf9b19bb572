import type { CommandOrigin } from './options';
import { Window } from './state';
import type { CommandAction, SyncCommand } from './types';

export interface CommandTiming {
  id: string;
  action: CommandAction;
  by: string;
  origin: CommandOrigin;
  issued: number;
  at: number;
  received: number;
  applied: number | null;
  /** received − issued (server ms): one-way propagation as this peer measured it. */
  delayMs: number;
}

export interface EngineStats {
  offsetMs: number;
  driftMs: number;
  driftP50Ms: number;
  driftP95Ms: number;
  correctiveSeeks: number;
  commandSeeks: number;
  leadMs: number;
  oneWayP95Ms: number;
  propagationP50Ms: number;
  propagationP95Ms: number;
  lastCommand: CommandTiming | null;
  seekLatencyMs: number;
  playLatencyMs: number;
  correcting: boolean;
  rate: number;
  buffering: boolean;
  waitingFor: string[];
  holding: boolean;
  /** The room waits for more of the film to be encoded. */
  waitingForEncoder: boolean;
  /** How far everyone can play while the film is still being encoded (s; Infinity for a whole film). */
  playableLimit: number;
}

/**
 * How commands travel between peers, as this peer sees it: one-way delays to the others (from which
 * leads are chosen), how long commands took to arrive, and the last command with its timing.
 */
export class CommandFigures {
  private oneWay = new Window(200);
  private propagation = new Window(200);
  private last: CommandTiming | null = null;

  private perPeer = new Map<string, Window>();

  /** A measured round trip (ms) to a peer. */
  notePeerRtt(rttMs: number, peer?: string): void {
    if (!(rttMs >= 0)) return;
    this.oneWay.push(rttMs / 2);
    if (peer !== undefined) this.delaysTo(peer).push(rttMs / 2);
  }

  /** A link to the peer opened: until its first round trip, its delay is unknown (see slowestOneWay). */
  notePeerLinked(peer: string): void {
    this.delaysTo(peer);
  }

  /** The peer's recent one-way delays (ms), kept from its link's opening. */
  private delaysTo(peer: string): Window {
    let w = this.perPeer.get(peer);
    if (!w) this.perPeer.set(peer, (w = new Window(20)));
    return w;
  }

  /** The peer left: its delays no longer matter. */
  forgetPeer(peer: string): void {
    this.perPeer.delete(peer);
  }

  /**
   * The typical one-way delay (ms, median of its recent round trips / 2) to the farthest peer; 0 when none.
   * A peer linked a moment ago and not yet measured counts as `unmeasuredMs` away: a play pressed just as
   * someone joins is scheduled far enough ahead for a slow link, not started at once for a fast one.
   */
  slowestOneWay(unmeasuredMs = 0): number {
    let worst = 0;
    for (const w of this.perPeer.values()) worst = Math.max(worst, w.length > 0 ? w.p(50) : unmeasuredMs);
    return worst;
  }

  /** p95 of the one-way delay (ms), 0 before any was measured: what leads are built on. */
  oneWayForLead(): number {
    return this.oneWay.length > 0 ? this.oneWay.p(95) : 0;
  }

  /** A command issued here or received from a peer (derived ones are not timed). */
  noteCommand(cmd: SyncCommand, origin: CommandOrigin, now: number): void {
    if (origin === 'derived') return;
    const remote = origin === 'remote';
    // (one issued here has taken no time to arrive)
    const delay = remote ? now - cmd.issued : 0;
    if (remote) this.propagation.push(delay);
    this.last = {
      id: cmd.id,
      action: cmd.action,
      by: remote ? cmd.name || cmd.user : cmd.name,
      origin,
      issued: cmd.issued,
      at: cmd.state.at,
      received: now,
      applied: null,
      delayMs: delay,
    };
  }

  /** The command became the timeline in force. */
  noteApplied(id: string, now: number): void {
    if (this.last && this.last.id === id) this.last.applied = now;
  }

  get lastCommand(): CommandTiming | null {
    return this.last ? { ...this.last } : null;
  }

  /** NaN before any was measured, unlike oneWayForLead. */
  get oneWayP95Ms(): number {
    return this.oneWay.p(95);
  }

  propagationP(pct: number): number {
    return this.propagation.p(pct);
  }
}
