import type { SegmentOf } from '../../lib/segmentGrid';
import type { DriftController } from './controller';
import type { FollowState } from './followState';
import type { LearntLatencies } from './latencies';
import type { EngineSettings } from './options';
import type { OwnMedia } from './ownMedia';
import { clampToDuration, positionAt } from './state';
import { edgeAllows } from './edge';
import { HAVE_FUTURE_DATA, type MediaLike, type ServerClock, type TimerHandle, type Timers } from './types';

/** How far into a segment a start moved onto it lands (s): clear of the boundary, where a player may look either side. */
const SEGMENT_ENTRY_S = 0.05;

/** A start planned at a media position: the media waits there, paused, for the timeline to arrive. */
export interface StartWait {
  position: number;
  /** How far ahead (s) it was planned; doubled each time the media turns out too slow to load. */
  lead: number;
  /** The position first planned: a peer past it while still loading is late (it stalls the room). */
  first: number;
}

type StartupSettings = Pick<EngineSettings, 'tickMs' | 'playTolerance' | 'commandSeekThreshold' | 'waitAheadMax' | 'startAheadS'>;

/**
 * Starting the media on a playing timeline: at once when it is close enough, else by a synchronised
 * restart (seek ahead, wait paused at the room's rate, play exactly when the timeline gets there).
 */
export class Startup {
  private wait: StartWait | null = null;
  /** A restart's seek is under way: the media is paused when it reports seeking (see restartAt). */
  private holdOnSeeking = false;
  private timer: TimerHandle | null = null;
  /** Until the media first plays on the timeline (a late joiner loading does not hold the room). */
  joining = true;

  constructor(
    private readonly follow: FollowState,
    private readonly own: OwnMedia,
    private readonly latencies: LearntLatencies,
    private readonly controller: DriftController,
    private readonly clock: ServerClock,
    private readonly timers: Timers,
    private readonly settings: StartupSettings,
  ) {}

  /** The start being waited for, if any. */
  get waiting(): Readonly<StartWait> | null {
    return this.wait;
  }

  /** Forget the planned start (the timeline changed, or stopped playing). */
  cancel(): void {
    this.wait = null;
  }

  /** Forget the planned start and a restart's seek under way. */
  reset(): void {
    this.wait = null;
    this.holdOnSeeking = false;
  }

  /** Clears the timer of a start due within the next tick. */
  stop(): void {
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
  }

  /** The media reported seeking to one of our seeks: a restart's seek holds the media there. */
  ownSeekStarted(): void {
    if (this.holdOnSeeking) this.holdForStart();
  }

  /**
   * The timeline plays and the media stands still: start it. A media close enough to the timeline
   * (ready to play, or already seeking to about the right place) plays at once and the rate
   * controller absorbs the rest; one standing a little ahead waits in place for the timeline to
   * arrive; only a large error (or a media still loading far from the timeline) seeks and restarts.
   */
  fromPause(now: number, expected: number): void {
    const m = this.follow.media;
    if (!m) return;
    const t = this.follow.target;
    const ahead = m.currentTime - expected;
    const ready = !m.seeking && m.readyState >= HAVE_FUTURE_DATA;
    // (while seeking, the media reports the position it is seeking to)
    const seekingNear = m.seeking && Math.abs(ahead) <= this.settings.commandSeekThreshold;
    const near = ready ? Math.abs(ahead) <= this.settings.playTolerance : Math.abs(ahead) <= this.settings.commandSeekThreshold;
    if ((near && !m.seeking) || seekingNear) {
      // (even if data is still loading: the browser starts as soon as it can, steering does the rest)
      this.follow.alignedFor = t.id;
      this.joining = false;
      this.own.setRate(t.rate);
      this.play();
      return;
    }
    if (ready && ahead > 0 && ahead <= this.settings.waitAheadMax) {
      // already showing a frame a moment ahead: no seek, just start when the timeline gets there
      this.wait = { position: m.currentTime, lead: this.latencies.restartLeadS(), first: m.currentTime };
      this.follow.alignedFor = t.id;
      this.controller.reset();
      this.own.setRate(t.rate);
      this.check(now);
      return;
    }
    this.restartAt(now);
  }

  /**
   * Synchronised restart: pause, seek to where the timeline will be once the media has loaded (or to
   * the command's own position when it lies far enough ahead), and play when the timeline gets there.
   * `leadS`: how long the load will take, when the caller knows better than the seeks learnt so far;
   * `segmentOf`: the segments the media's stream is cut into, when known.
   */
  restartAt(now: number, leadS?: number, segmentOf: SegmentOf | null = null): void {
    const m = this.follow.media;
    if (!m) return;
    const t = this.follow.target;
    const lead = leadS ?? this.latencies.restartLeadS();
    const when = Math.max(now + lead * 1000, t.at);
    const planned = clampToDuration(positionAt(t, when), m.duration);
    const position = segmentOf ? this.clearOfSegmentEnd(planned, segmentOf, m) : planned;
    this.wait = { position, lead, first: position };
    this.follow.alignedFor = t.id;
    this.controller.reset();
    // The seek goes first: the media starts loading the new position (and fires its seeking event)
    // at once, not after the events and work of a pause and a rate change. A seeking media does not
    // advance, and its seeking event comes before its seeked one: pausing when it says it is seeking
    // still restarts from `position` (and a media that never says so is paused once loaded).
    if (Math.abs(m.currentTime - position) > 0.002) {
      this.own.seek(position);
      this.holdOnSeeking = true;
      return;
    }
    this.holdForStart();
  }

  /** A restart waits paused, at the room's rate, for the moment to start. */
  private holdForStart(): void {
    this.holdOnSeeking = false;
    if (!this.wait || !this.follow.target.playing) return;
    this.own.pause();
    this.own.setRate(this.follow.target.rate);
  }

  /** Is the planned start due (or the media too slow for it)? Plays, re-plans or waits accordingly. */
  check(now: number): void {
    const m = this.follow.media;
    const w = this.wait;
    if (!m || !w) return;
    const t = this.follow.target;
    if (!t.playing) {
      this.wait = null;
      return;
    }
    const expected = positionAt(t, now);
    if (expected > w.position + 0.05) {
      // too slow to load: try again further ahead
      const lead = Math.min(8, w.lead * 2);
      this.wait = { position: clampToDuration(expected + lead * t.rate, m.duration), lead, first: w.first };
      this.own.seek(this.wait.position);
      return;
    }
    if (m.readyState < HAVE_FUTURE_DATA || m.seeking || (this.joining && !this.loadedEnough(m))) return;
    if (!m.paused) this.holdForStart();
    const waitMs = ((w.position - expected) / t.rate) * 1000 - this.latencies.startS() * 1000;
    if (waitMs <= 2) {
      this.wait = null;
      this.joining = false;
      this.play();
      return;
    }
    if (this.timer === null && waitMs < this.settings.tickMs * 1.5) {
      this.timer = this.timers.setTimeout(() => {
        this.timer = null;
        if (this.wait && this.follow.media?.paused && this.follow.target.playing) {
          this.wait = null;
          this.joining = false;
          this.play();
        }
      }, waitMs);
    }
  }

  /**
   * A joiner's start in the last moments of its segment (less than startAheadS before the segment ends) could
   * not play before the next segment had loaded too (see `loadedEnough`): it moves to where the next segment
   * begins, so that one download does instead of two, for a wait at most startAheadS longer. Nothing moves
   * where nothing comes after that segment (the film's end, what is encoded of it), nor in a segment no longer
   * than startAheadS (the film's short opening ones): a start anywhere in it needs the next one too.
   */
  private clearOfSegmentEnd(position: number, segmentOf: SegmentOf, m: MediaLike): number {
    if (!this.joining) return position;
    const [start, end] = segmentOf(position);
    if (end - position >= this.settings.startAheadS || end - start <= this.settings.startAheadS) return position;
    if (this.follow.ended(end + SEGMENT_ENTRY_S) || !edgeAllows(this.follow.edge(), end, this.settings.startAheadS)) return position;
    return clampToDuration(end + SEGMENT_ENTRY_S, m.duration);
  }

  /**
   * Enough is loaded past a joiner's start to play on: a start on a frame or two stalls at once on a slow link
   * and leaves the joiner far behind; while less is loaded the moment may pass, and `check` plans it again
   * further ahead. (The room's own restarts keep their moment: a member late for one holds the room instead.)
   * The end of the film, or of what is encoded of it, needs no more than there is.
   */
  private loadedEnough(m: MediaLike): boolean {
    const ahead = m.bufferedAhead();
    if (ahead >= this.settings.startAheadS) return true;
    return this.follow.ended(m.currentTime + ahead + 0.2) || !edgeAllows(this.follow.edge(), m.currentTime, this.settings.startAheadS);
  }

  /** play(), watched so that the start-up latency is learnt from the media's first steady look. */
  private play(): void {
    const m = this.follow.media;
    if (!m || !m.paused) return;
    const now = this.clock.now();
    // (unclamped: before the start of the film the timeline is "before zero", and that is the head start)
    const t = this.follow.target;
    this.latencies.watchStart(
      t.playing ? m.currentTime - (t.position + ((now - t.at) / 1000) * t.rate) : this.latencies.playS * t.rate,
    );
    this.own.play(now);
  }
}
