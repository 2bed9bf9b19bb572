/**
 * Deterministic stand-ins for tests and simulations: a virtual clock with timers, a media element
 * that plays on that clock, and a network that delivers broadcasts after a delay.
 */
import type { EncodedEdge, MediaEventKind, MediaLike, ServerClock, SyncTransport, SyncWire, TimerHandle, Timers } from './types';

interface Task {
  id: number;
  at: number;
  fn: () => void;
}

/** Virtual time (ms). Timers run in time order when the time is advanced. */
export class FakeTime implements Timers {
  now: number;
  private tasks: Task[] = [];
  private seq = 0;

  constructor(start = 1_700_000_000_000) {
    this.now = start;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    this.seq += 1;
    this.tasks.push({ id: this.seq, at: this.now + Math.max(0, ms), fn });
    return this.seq;
  }

  clearTimeout(handle: TimerHandle): void {
    this.tasks = this.tasks.filter((t) => t.id !== handle);
  }

  /** Runs everything due up to now + ms, in order. */
  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      let next: Task | null = null;
      for (const t of this.tasks) if (t.at <= end && (next === null || t.at < next.at || (t.at === next.at && t.id < next.id))) next = t;
      if (next === null) break;
      this.tasks = this.tasks.filter((t) => t !== next);
      this.now = Math.max(this.now, next.at);
      next.fn();
    }
    this.now = end;
  }

  /** A clock reading this time plus a fixed error (a peer's imperfect server-time estimate). */
  clock(errorMs = 0): ServerClock {
    return { now: () => this.now + errorMs };
  }
}

export interface FakeMediaOptions {
  /** How fast this media's clock runs relative to real time (1.001 = 0.1 % fast). */
  skew?: number;
  seekLatencyMs?: number;
  playLatencyMs?: number;
  /** How much longer its first start takes (ms), as a browser's does (default none). */
  coldStartMs?: number;
  duration?: number;
  /** Delay before dispatching events (they are asynchronous in browsers). */
  eventDelayMs?: number;
  /**
   * Like Chromium: a pause reports the position it was called at, but the media goes on this much
   * further before it stops, and resumes from there; only a seek elsewhere puts it back (a seek to the
   * reported position is elided).
   */
  pauseOvershootMs?: number;
}

/** A media element on virtual time: plays, seeks with latency, stalls on demand, fires events. */
export class FakeMedia implements MediaLike {
  private readonly time: FakeTime;
  private base = 0;
  private baseAt: number;
  private _paused = true;
  private _rate = 1;
  private _seeking = false;
  private seekDone: TimerHandle | null = null;
  private stallUntil = 0;
  private startAt = 0;
  /** How far (s) the media went on past the position a pause reported. */
  private overshoot = 0;
  skew: number;
  pauseOvershootMs: number;
  seekLatencyMs: number;
  playLatencyMs: number;
  /** Extra latency of the next start (ms); the first start is cold, later ones are not. */
  coldStartMs: number;
  duration: number;
  eventDelayMs: number;
  listener: ((kind: MediaEventKind) => void) | null = null;
  /** Hears the player's controls at once (`lib/memberControl`), before their media events. */
  controlListener: ((kind: MediaEventKind) => void) | null = null;
  events: MediaEventKind[] = [];
  seeks: number[] = [];
  playCalls = 0;
  rejectPlay = false;
  /** A film still being encoded: how far its stream is (it cannot play or seek past a growing edge). */
  edge: EncodedEdge | null = null;
  /** A slow link: at most this much (s) is loaded past the position (null: all of it). */
  loadedAhead: number | null = null;

  constructor(time: FakeTime, options: FakeMediaOptions = {}) {
    this.time = time;
    this.baseAt = time.now;
    this.skew = options.skew ?? 1;
    this.seekLatencyMs = options.seekLatencyMs ?? 0;
    this.playLatencyMs = options.playLatencyMs ?? 0;
    this.coldStartMs = options.coldStartMs ?? 0;
    this.duration = options.duration ?? 7200;
    this.eventDelayMs = options.eventDelayMs ?? 1;
    this.pauseOvershootMs = options.pauseOvershootMs ?? 0;
  }

  /** Position now: it advances only while playing, not seeking, not stalled and past the start latency. */
  private positionNow(): number {
    const now = this.time.now;
    const from = Math.max(this.baseAt, this.stallUntil, this.startAt);
    if (this._paused || this._seeking || now <= from) return this.base;
    return Math.min(this.end(), this.base + ((now - from) / 1000) * this._rate * this.skew);
  }

  /** Where the media stops: the end of the film, or of what is encoded of it so far. */
  private end(): number {
    return this.edge?.growing ? Math.min(this.duration, this.edge.edge) : this.duration;
  }

  encodedEdge(): EncodedEdge | null {
    return this.edge ? { ...this.edge } : null;
  }

  private rebase(): void {
    this.base = this.positionNow();
    this.baseAt = this.time.now;
  }

  private fire(kind: MediaEventKind): void {
    this.time.setTimeout(() => {
      this.events.push(kind);
      this.listener?.(kind);
    }, this.eventDelayMs);
  }

  get currentTime(): number {
    return this.positionNow();
  }

  get paused(): boolean {
    return this._paused;
  }

  get playbackRate(): number {
    return this._rate;
  }

  get seeking(): boolean {
    return this._seeking;
  }

  get readyState(): number {
    if (this._seeking || this.time.now < this.stallUntil) return 1;
    // at the end of what is encoded: the current frame, nothing after it
    if (this.edge?.growing && this.end() - this.positionNow() < 0.04) return 2;
    return 4;
  }

  bufferedAhead(): number {
    if (this.time.now < this.stallUntil) return 0;
    const ahead = this.edge?.growing ? Math.max(0, Math.min(30, this.end() - this.positionNow())) : 30;
    return this.loadedAhead === null ? ahead : Math.min(ahead, this.loadedAhead);
  }

  play(): Promise<void> {
    this.playCalls += 1;
    if (this.rejectPlay) {
      const err = new Error('blocked');
      err.name = 'NotAllowedError';
      return Promise.reject(err);
    }
    if (this._paused) {
      this.rebase();
      this.base += this.overshoot;
      this.overshoot = 0;
      this._paused = false;
      this.startAt = this.time.now + this.playLatencyMs + this.coldStartMs;
      this.coldStartMs = 0;
      this.fire('play');
    }
    return Promise.resolve();
  }

  pause(): void {
    if (this._paused) return;
    this.rebase();
    const moving = !this._seeking && this.time.now >= Math.max(this.stallUntil, this.startAt);
    this.overshoot = moving ? (this.pauseOvershootMs / 1000) * this._rate * this.skew : 0;
    this._paused = true;
    this.fire('pause');
  }

  seek(position: number): void {
    this.rebase();
    const target = Math.max(0, Math.min(this.end(), position));
    if (!(this._paused && target === this.base)) this.overshoot = 0;
    this.base = target;
    this.seeks.push(this.base);
    if (this.seekDone !== null) this.time.clearTimeout(this.seekDone);
    this.fire('seeking');
    if (this.seekLatencyMs <= 0) {
      this.fire('seeked');
      return;
    }
    this._seeking = true;
    this.seekDone = this.time.setTimeout(() => {
      this.seekDone = null;
      this._seeking = false;
      this.baseAt = this.time.now;
      this.fire('seeked');
    }, this.seekLatencyMs);
  }

  setRate(rate: number): void {
    if (this._rate === rate) return;
    this.rebase();
    this._rate = rate;
    this.fire('ratechange');
  }

  /** Stop advancing for `ms` (a network stall). */
  stall(ms: number): void {
    this.rebase();
    this.stallUntil = this.time.now + ms;
    this.fire('waiting');
  }

  /** Jump without telling anyone (a decoder hiccup); fires no event. */
  jump(deltaS: number): void {
    this.rebase();
    this.base = Math.max(0, this.base + deltaS);
  }

  // what a person or a page script does: same effect, but through the same paths as the controls
  userPause(): void {
    this.pause();
  }

  userPlay(): void {
    void this.play();
  }

  userSeek(position: number): void {
    this.seek(position);
  }

  // the player's own controls: the same, and reported at once
  pressPause(): void {
    this.pause();
    this.controlListener?.('pause');
  }

  pressPlay(): void {
    void this.play();
    this.controlListener?.('play');
  }

  pressSeek(position: number): void {
    this.seek(position);
    this.controlListener?.('seeking');
  }
}

/** Broadcast network between named peers with a fixed (or per-link) delay. */
export class FakeNet {
  private readonly time: FakeTime;
  delayMs: number;
  private peers = new Map<string, (msg: SyncWire, from: string) => void>();
  sent: { from: string; msg: SyncWire }[] = [];
  down = new Set<string>();

  constructor(time: FakeTime, delayMs = 5) {
    this.time = time;
    this.delayMs = delayMs;
  }

  join(peer: string, deliver: (msg: SyncWire, from: string) => void): SyncTransport {
    this.peers.set(peer, deliver);
    return {
      broadcast: (msg: SyncWire) => {
        if (this.down.has(peer)) return;
        this.sent.push({ from: peer, msg });
        const copy = JSON.parse(JSON.stringify(msg)) as SyncWire;
        for (const [other, fn] of this.peers) {
          if (other === peer || this.down.has(other)) continue;
          this.time.setTimeout(() => fn(copy, peer), this.delayMs);
        }
      },
    };
  }

  leave(peer: string): void {
    this.peers.delete(peer);
  }

  commandsFrom(peer: string): number {
    return this.sent.filter((s) => s.from === peer && s.msg.type === 'cmd').length;
  }
}
