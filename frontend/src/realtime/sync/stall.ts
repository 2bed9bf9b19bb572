import type { FollowState } from './followState';
import type { EngineSettings } from './options';
import { positionAt } from './state';
import type { Startup } from './startup';
import { HAVE_FUTURE_DATA } from './types';

type StallSettings = Pick<EngineSettings, 'stallReportMs' | 'readyAheadS'>;

/**
 * Whether this peer's media is starved of data long enough to tell the room (and when it is ready
 * again): the local half of the buffering protocol.
 */
export class StallWatch {
  private stalledSince: number | null = null;
  /** This peer told the room it is waiting for data, and has not said it is ready since. */
  buffering = false;

  constructor(
    private readonly follow: FollowState,
    private readonly startup: Startup,
    /** May this peer still hold the room (it was not dropped from the wait)? */
    private readonly mayHold: () => boolean,
    private readonly settings: StallSettings,
  ) {}

  /** One look: the buffering report to send now (true: waiting, false: ready), or null for none. */
  check(now: number): boolean | null {
    const m = this.follow.media;
    if (!m) return null;
    const t = this.follow.target;
    if (this.buffering) {
      const ready =
        m.readyState >= HAVE_FUTURE_DATA &&
        !m.seeking &&
        (m.bufferedAhead() >= this.settings.readyAheadS || this.follow.ended(m.currentTime + m.bufferedAhead() + 0.2));
      const recovered = t.playing && !m.paused && m.readyState >= HAVE_FUTURE_DATA && !m.seeking;
      if (ready || recovered) {
        this.buffering = false;
        this.stalledSince = null;
        return false;
      }
      return null;
    }
    const expected = positionAt(t, now);
    const shouldPlay = t.playing && !this.startup.joining && !this.follow.ended(expected);
    // stalled: playing without data, or a restart whose planned moment has passed while still loading
    const wait = this.startup.waiting;
    const stalled =
      shouldPlay &&
      ((wait === null && !m.paused && m.readyState < HAVE_FUTURE_DATA) || (wait !== null && expected > wait.first + 0.05));
    if (!stalled) {
      this.stalledSince = null;
      return null;
    }
    if (this.stalledSince === null) this.stalledSince = now;
    if (now - this.stalledSince >= this.settings.stallReportMs && this.mayHold()) {
      this.buffering = true;
      return true;
    }
    return null;
  }
}
