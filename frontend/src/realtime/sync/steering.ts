import type { Aligner } from './align';
import type { DriftController } from './controller';
import type { FollowState } from './followState';
import type { LearntLatencies } from './latencies';
import type { OwnMedia } from './ownMedia';
import { Window } from './state';
import type { Startup } from './startup';
import { HAVE_FUTURE_DATA } from './types';

export interface SteeringHooks {
  /** The member's own play started off its stamp: put the timeline where the media really is. */
  restamp(now: number): void;
  /** Steering changed the timeline or restarted the media. */
  changed(): void;
}

/**
 * The steady-state look at a playing media: how far it drifts from the timeline, nudging its rate
 * back onto it (or restarting it when far off), and restarting a media that stands still for no reason.
 */
export class Steering {
  /** The play this peer's member issued, until its media is seen moving (then it may be restamped). */
  restampFor: string | null = null;
  private pausedSince: number | null = null;
  /** Media position minus timeline at the last look (s). */
  lastDrift = Number.NaN;
  /** Recent |drift| samples (ms). */
  readonly drifts = new Window(600);

  constructor(
    private readonly follow: FollowState,
    private readonly own: OwnMedia,
    private readonly startup: Startup,
    private readonly aligner: Aligner,
    private readonly latencies: LearntLatencies,
    private readonly controller: DriftController,
    /** The issuer of a play restamps the timeline when its media is further off than this once moving (s). */
    private readonly restampMin: number,
    private readonly hooks: SteeringHooks,
  ) {}

  steer(now: number): void {
    const m = this.follow.media;
    if (!m) return;
    const t = this.follow.target;
    if (!t.playing) {
      this.pausedSince = null;
      if (this.follow.alignedFor !== t.id) this.aligner.apply(false);
      return;
    }
    const expected = this.follow.expectedAt(now);
    if (this.follow.ended(expected)) return;
    if (this.startup.waiting) {
      this.startup.check(now);
      return;
    }
    if (m.paused) {
      // (a member's pause is reported by its event; only a lasting mismatch is ours to fix)
      if (this.pausedSince === null) this.pausedSince = now;
      if (!this.own.expectingPlay(now) && now - this.own.lastPlayAttempt > 1000 && now - this.pausedSince > 500) {
        this.aligner.apply(false);
      }
      return;
    }
    this.pausedSince = null;
    if (m.seeking || m.readyState < HAVE_FUTURE_DATA || this.own.settling(now)) return;
    const drift = m.currentTime - expected;
    this.lastDrift = drift;
    // The first look after starting learns the start-up latency (see LearntLatencies.firstLook). A
    // member's own play whose media started well off its stamp is restamped.
    if (this.latencies.firstLook(drift, t.rate)) {
      const mine = this.restampFor === t.id;
      this.restampFor = null;
      if (mine && Math.abs(drift) > this.restampMin && Math.abs(drift) < 0.3) {
        this.hooks.restamp(now);
        this.hooks.changed();
        return;
      }
    }
    this.drifts.push(Math.abs(drift) * 1000);
    const decision = this.controller.decide(drift, now);
    if (decision.kind === 'seek') {
      this.startup.restartAt(now);
      this.hooks.changed();
      return;
    }
    this.own.setRate(t.rate * decision.factor);
  }
}
