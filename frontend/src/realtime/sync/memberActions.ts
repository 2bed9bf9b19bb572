import type { DriftController } from './controller';
import type { FollowState } from './followState';
import type { LearntLatencies } from './latencies';
import type { OwnMedia } from './ownMedia';
import type { Startup } from './startup';
import type { CommandAction, MediaEventKind, ServerClock } from './types';

/**
 * Reads the media's events: the ones the engine's own operations cause complete those operations;
 * the rest show what the member did to the media (controls, keyboard, a page script).
 */
export class MemberActions {
  constructor(
    private readonly follow: FollowState,
    private readonly own: OwnMedia,
    private readonly startup: Startup,
    private readonly latencies: LearntLatencies,
    private readonly controller: DriftController,
    private readonly clock: ServerClock,
    /** Does the newest timeline known (commands scheduled for later included) play? */
    private readonly latestPlaying: () => boolean,
  ) {}

  /** The member's action this event shows, or null (the engine's own doing, or nothing to act on). */
  of(kind: MediaEventKind): CommandAction | null {
    const m = this.follow.media;
    if (!m) return null;
    const now = this.clock.now();
    const t = this.follow.target;
    switch (kind) {
      case 'play': {
        if (this.own.claimPlay(now)) return null;
        if (m.paused) return null; // stale: paused again since
        if (this.latestPlaying() || t.playing) return null;
        return 'play';
      }
      case 'pause': {
        if (this.own.claimPause(now)) return null;
        if (!m.paused) return null;
        if (!t.playing) return null;
        if (this.follow.ended(m.currentTime)) return null;
        return 'pause';
      }
      case 'seeking': {
        const pos = m.currentTime;
        if (this.own.claimSeeking(pos, now)) {
          this.startup.ownSeekStarted();
          return null;
        }
        if (Math.abs(pos - this.follow.expectedAt(now)) < 0.05) return null;
        const wait = this.startup.waiting;
        if (wait && Math.abs(pos - wait.position) < 0.05) return null;
        return 'seek';
      }
      case 'seeked': {
        const sample = this.own.seekDone(now);
        if (sample !== null) this.latencies.learnSeek(sample);
        if (this.startup.waiting) this.startup.check(now);
        return null;
      }
      case 'canplay': {
        if (this.startup.waiting) this.startup.check(now);
        return null;
      }
      case 'ratechange': {
        const r = m.playbackRate;
        if (this.own.isOwnRate(r)) return null;
        const base = t.rate;
        if (Math.abs(r - base) <= base * this.controller.maxNudge + 1e-3) return null;
        return 'rate';
      }
      default:
        return null;
    }
  }
}
