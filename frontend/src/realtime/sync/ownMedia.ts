import type { FollowState } from './followState';
import { clampToDuration } from './state';
import type { ServerClock } from './types';

/** Operations the engine did itself, still waiting for their media event. */
interface Expect {
  count: number;
  until: number;
}

/** How long an operation's event may take to come before it is no longer expected (ms). */
const EXPECT_MS = 1500;
/** How long a seek's seeking event may take (ms). */
const SEEK_EXPECT_MS = 3000;

/**
 * The engine's own play, pause, seek and rate changes on the media, remembered so that the events
 * they cause are not taken for the member's actions.
 */
export class OwnMedia {
  private expectPlay: Expect = { count: 0, until: 0 };
  private expectPause: Expect = { count: 0, until: 0 };
  private pendingSeeks: { position: number; until: number }[] = [];
  private lastRateSet: number | null = null;
  private settleUntil = 0;
  private seekIssuedAt: number | null = null;
  /** When play() was last called (server ms). */
  lastPlayAttempt = 0;

  constructor(
    private readonly follow: FollowState,
    private readonly clock: ServerClock,
    /** After a play or seek, the media is left to settle this long before its drift counts (ms). */
    private readonly settleMs: number,
    private readonly onAutoplayBlocked: () => void,
  ) {}

  private expecting(e: Expect, now: number): boolean {
    if (e.count > 0 && now > e.until) e.count = 0;
    return e.count > 0;
  }

  /** Starts a paused media (`now`: the server time the caller stamped the start with). */
  play(now: number): void {
    const m = this.follow.media;
    if (!m || !m.paused) return;
    this.lastPlayAttempt = now;
    this.expectPlay = { count: this.expecting(this.expectPlay, now) ? this.expectPlay.count + 1 : 1, until: now + EXPECT_MS };
    this.settleUntil = now + this.settleMs;
    let result: Promise<void> | void;
    try {
      result = m.play();
    } catch {
      result = undefined;
    }
    if (result && typeof (result as Promise<void>).catch === 'function') {
      (result as Promise<void>).catch((err: unknown) => {
        if (this.expectPlay.count > 0) this.expectPlay.count -= 1;
        const name = err && typeof err === 'object' && 'name' in err ? String((err as { name: unknown }).name) : '';
        if (name === 'NotAllowedError') this.onAutoplayBlocked();
      });
    }
  }

  pause(): void {
    const m = this.follow.media;
    if (!m || m.paused) return;
    const now = this.clock.now();
    this.expectPause = { count: this.expecting(this.expectPause, now) ? this.expectPause.count + 1 : 1, until: now + EXPECT_MS };
    m.pause();
  }

  seek(position: number): void {
    const m = this.follow.media;
    if (!m) return;
    const now = this.clock.now();
    const p = clampToDuration(position, m.duration);
    this.pendingSeeks = this.pendingSeeks.filter((s) => s.until > now);
    this.pendingSeeks.push({ position: p, until: now + SEEK_EXPECT_MS });
    this.settleUntil = now + this.settleMs;
    this.seekIssuedAt = now;
    m.seek(p);
  }

  setRate(rate: number): void {
    const m = this.follow.media;
    if (!m) return;
    if (Math.abs(m.playbackRate - rate) < 1e-4) return;
    this.lastRateSet = rate;
    m.setRate(rate);
  }

  /** The media was set on the timeline by other means: let it settle before its drift counts. */
  settle(now: number): void {
    this.settleUntil = now + this.settleMs;
  }

  settling(now: number): boolean {
    return now < this.settleUntil;
  }

  expectingPlay(now: number): boolean {
    return this.expecting(this.expectPlay, now);
  }

  /** A play event: true (and no longer expected) when it is one of ours. */
  claimPlay(now: number): boolean {
    if (!this.expecting(this.expectPlay, now)) return false;
    this.expectPlay.count -= 1;
    return true;
  }

  /** A pause event: true (and no longer expected) when it is one of ours. */
  claimPause(now: number): boolean {
    if (!this.expecting(this.expectPause, now)) return false;
    this.expectPause.count -= 1;
    return true;
  }

  /** A seeking event at `position`: true when it is one of our seeks (it and any before it are done). */
  claimSeeking(position: number, now: number): boolean {
    this.pendingSeeks = this.pendingSeeks.filter((s) => s.until > now);
    const i = this.pendingSeeks.findIndex((s) => Math.abs(s.position - position) < 0.01);
    if (i < 0) return false;
    this.pendingSeeks.splice(0, i + 1);
    return true;
  }

  /** A ratechange event to `rate`: true when it is the rate we set last. */
  isOwnRate(rate: number): boolean {
    return this.lastRateSet !== null && Math.abs(rate - this.lastRateSet) < 1e-3;
  }

  /** A seeked event: how long our last seek took (s), once no other of ours is pending; else null. */
  seekDone(now: number): number | null {
    if (this.seekIssuedAt === null || this.pendingSeeks.length > 0) return null;
    const sample = (now - this.seekIssuedAt) / 1000;
    this.seekIssuedAt = null;
    return sample;
  }
}
