import { edgeAllows, edgeWaitAt, playableLimit } from './edge';
import type { FollowState } from './followState';
import type { EngineSettings } from './options';
import { positionAt } from './state';
import type { Startup } from './startup';
import { HAVE_FUTURE_DATA } from './types';

type StallSettings = Pick<EngineSettings, 'stallReportMs' | 'readyAheadS'>;

/** What this peer tells the room about its wait. */
export interface StallReport {
  /** true: it waits (or will wait) for data; false: it is ready. */
  on: boolean;
  /** Server ms the wait starts: now for a stall, the moment the timeline reaches the edge for the encoder. */
  at: number;
  /** It waits for the encoder at this position (s), the furthest it can play. */
  edge?: number;
}

/**
 * Whether this peer's media is starved of data long enough to tell the room (and when it is ready
 * again): the local half of the buffering protocol. While its film is still being encoded, it also
 * tells the room ahead of time where the timeline will reach the end of what is encoded, so that the
 * room waits there instead of running on past it.
 */
export class StallWatch {
  private stalledSince: number | null = null;
  /** This peer told the room it is waiting for data, and has not said it is ready since. */
  buffering = false;
  /** ...and that wait is for the encoder, at its encoded edge. */
  private atEdge = false;

  constructor(
    private readonly follow: FollowState,
    private readonly startup: Startup,
    /** May this peer still hold the room (it was not dropped from the wait)? */
    private readonly mayHold: () => boolean,
    private readonly settings: StallSettings,
    /** How long before the timeline reaches the edge the room is told (ms): every peer must hear it in time. */
    private readonly edgeNoticeMs: number,
  ) {}

  /** One look: the buffering report to send now, or null for none. */
  check(now: number): StallReport | null {
    const m = this.follow.media;
    if (!m) return null;
    const t = this.follow.target;
    const edge = this.follow.edge();
    if (this.buffering) {
      const loaded =
        m.readyState >= HAVE_FUTURE_DATA &&
        !m.seeking &&
        (m.bufferedAhead() >= this.settings.readyAheadS || this.follow.ended(m.currentTime + m.bufferedAhead() + 0.2));
      // at the edge the media may well play on until it gets there: ready only once more is encoded and loaded
      const ready = this.atEdge ? loaded && edgeAllows(edge, positionAt(t, now), this.settings.readyAheadS) : loaded;
      const recovered = !this.atEdge && t.playing && !m.paused && m.readyState >= HAVE_FUTURE_DATA && !m.seeking;
      if (ready || recovered) {
        this.buffering = false;
        this.atEdge = false;
        this.stalledSince = null;
        return { on: false, at: now };
      }
      return null;
    }
    const edgeAt = this.startup.joining ? null : edgeWaitAt(t, edge, now, this.edgeNoticeMs);
    if (edgeAt !== null && this.mayHold()) {
      this.buffering = true;
      this.atEdge = true;
      this.stalledSince = null;
      return { on: true, at: edgeAt, edge: playableLimit([edge]) };
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
      return { on: true, at: now };
    }
    return null;
  }
}
