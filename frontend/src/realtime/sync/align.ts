import type { DriftController } from './controller';
import type { FollowState } from './followState';
import type { EngineSettings } from './options';
import type { OwnMedia } from './ownMedia';
import type { Startup } from './startup';
import { clampToDuration } from './state';
import type { ServerClock, Timers } from './types';

/** How long after a pause the paused media is seeked onto the paused position (ms): off it, or on it. */
const ALIGN_DELAY_MS = 30;
export const ANCHOR_DELAY_MS = 150;

type AlignSettings = Pick<EngineSettings, 'pausedTolerance' | 'commandSeekThreshold'>;

/** Brings the media onto the timeline when the timeline (or the media) changes. */
export class Aligner {
  /** Seeks that commands (not drift) made this media do. */
  commandSeeks = 0;

  constructor(
    private readonly follow: FollowState,
    private readonly own: OwnMedia,
    private readonly startup: Startup,
    private readonly controller: DriftController,
    private readonly clock: ServerClock,
    private readonly timers: Timers,
    private readonly settings: AlignSettings,
  ) {}

  /** Bring the media onto the timeline. `changed`: the timeline itself just changed (a command). */
  apply(changed: boolean): void {
    const m = this.follow.media;
    if (!m) return;
    const now = this.clock.now();
    const t = this.follow.target;
    if (!t.playing) {
      this.startup.cancel();
      this.controller.reset();
      const wasPaused = m.paused;
      this.own.pause();
      const pos = clampToDuration(t.position, m.duration);
      if (this.follow.alignedFor !== t.id) {
        this.follow.alignedFor = t.id;
        const off = Math.abs(m.currentTime - pos) > this.settings.pausedTolerance;
        if (wasPaused) {
          // already still (a seek while paused): show the new frame at once
          if (off) {
            if (changed) this.commandSeeks += 1;
            this.own.seek(pos);
          }
        } else {
          if (off && changed) this.commandSeeks += 1;
          this.anchorPaused(t.id, off ? ALIGN_DELAY_MS : ANCHOR_DELAY_MS);
        }
      }
      this.own.setRate(t.rate);
      return;
    }
    const expected = this.follow.expectedAt(now);
    if (this.follow.ended(expected)) return;
    if (this.startup.waiting) {
      this.startup.check(now);
      return;
    }
    const off = Math.abs(m.currentTime - expected);
    if (m.paused) {
      this.startup.fromPause(now, expected);
      return;
    }
    if (changed && this.follow.alignedFor !== t.id && off > this.settings.commandSeekThreshold) {
      // a command moved the timeline: the restart seeks before touching anything else on the media
      this.commandSeeks += 1;
      this.startup.restartAt(now);
      return;
    }
    if (this.controller.isCorrecting === false) this.own.setRate(t.rate);
    if (changed) this.follow.alignedFor = t.id;
  }

  /**
   * Puts a media just paused from playing exactly on the paused timeline, a moment later (so the
   * pause itself is not held up): soon when it shows another frame, else once the pause has reached
   * every peer, so that this seek's work does not hold up their pause events. Chromium reports the
   * position pause() was called at, but its pipeline runs on a little (tens of ms) and a later play
   * resumes from there: only a seek brings it back. A seek to the very position it reports is
   * elided, so that one goes a millisecond further.
   */
  anchorPaused(id: string, delayMs: number): void {
    this.timers.setTimeout(() => {
      const m = this.follow.media;
      const t = this.follow.target;
      if (!m || t.id !== id || t.playing || !m.paused) return;
      const p = clampToDuration(t.position, m.duration);
      this.own.seek(Math.abs(m.currentTime - p) < 0.0005 ? p + 0.001 : p);
    }, delayMs);
  }
}
