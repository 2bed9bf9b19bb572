import type { ServerClock, TimerHandle, Timers } from './types';

/** One NTP-style exchange: t0 client send, t1 server receive, t2 server send, t3 client receive. */
export interface ClockSample {
  t0: number;
  t1: number;
  t2: number;
  t3: number;
}

/** Server clock minus local clock, as this exchange sees it. */
export function sampleOffset(s: ClockSample): number {
  return (s.t1 - s.t0 + (s.t2 - s.t3)) / 2;
}

/** Network round trip of the exchange, excluding the server's own processing time. */
export function sampleRtt(s: ClockSample): number {
  return s.t3 - s.t0 - (s.t2 - s.t1);
}

interface Scored {
  offset: number;
  rtt: number;
  takenAt: number;
}

export interface ClockEstimatorOptions {
  /** Samples kept (the newest ones). */
  maxSamples?: number;
  /** Samples older than this (local ms) are forgotten, so a drifting local clock is followed. */
  maxAgeMs?: number;
}

/**
 * Keeps recent samples and trusts the one with the smallest round trip: its offset error is bounded
 * by rtt/2, and queueing delay (the usual source of error) only ever adds to the round trip.
 */
export class ClockEstimator {
  private samples: Scored[] = [];
  private readonly maxSamples: number;
  private readonly maxAgeMs: number;

  constructor(options: ClockEstimatorOptions = {}) {
    this.maxSamples = options.maxSamples ?? 24;
    this.maxAgeMs = options.maxAgeMs ?? 10 * 60_000;
  }

  /** Adds a sample; returns false (and ignores it) when it is impossible (negative rtt, NaN). */
  add(sample: ClockSample): boolean {
    const values = [sample.t0, sample.t1, sample.t2, sample.t3];
    if (!values.every((v) => typeof v === 'number' && Number.isFinite(v))) return false;
    const rtt = sampleRtt(sample);
    if (rtt < 0 || sample.t3 < sample.t0 || sample.t2 < sample.t1) return false;
    this.samples.push({ offset: sampleOffset(sample), rtt, takenAt: sample.t3 });
    const cutoff = sample.t3 - this.maxAgeMs;
    this.samples = this.samples.filter((s) => s.takenAt >= cutoff);
    if (this.samples.length > this.maxSamples) this.samples.splice(0, this.samples.length - this.maxSamples);
    return true;
  }

  private best(): Scored | null {
    let best: Scored | null = null;
    for (const s of this.samples) if (best === null || s.rtt < best.rtt) best = s;
    return best;
  }

  get ready(): boolean {
    return this.samples.length > 0;
  }

  get count(): number {
    return this.samples.length;
  }

  /** Estimated server − local offset (ms); 0 before any sample. */
  get offset(): number {
    return this.best()?.offset ?? 0;
  }

  /** Round trip (ms) of the sample the offset comes from; NaN before any sample. */
  get rtt(): number {
    return this.best()?.rtt ?? Number.NaN;
  }
}

/** A local clock in epoch ms (performance.timeOrigin + performance.now() in the browser). */
export interface LocalClock {
  now(): number;
}

/** Asks the server for (t1, t2), echoing t0. */
export type ClockProbe = (t0: number) => Promise<{ t1: number; t2: number }>;

export interface ClockSyncOptions {
  /** Samples per burst. */
  burst?: number;
  /** Pause between the samples of a burst (ms). */
  burstGapMs?: number;
  /** Time between bursts (ms): periodic re-estimation. */
  intervalMs?: number;
  /**
   * Waits (ms) before the bursts that follow the first, before `intervalMs` takes over. The first burst runs
   * while the page is still loading and often queues behind it (hundreds of ms on a busy device); the next
   * few, once it has settled, find the tight samples the estimate keeps.
   */
  settleMs?: readonly number[];
  estimator?: ClockEstimator;
}

/** Periodically estimates the offset with bursts of probes; is itself the ServerClock. */
export class ClockSync implements ServerClock {
  readonly estimator: ClockEstimator;
  private readonly probe: ClockProbe;
  private readonly local: LocalClock;
  private readonly timers: Timers;
  private readonly burst: number;
  private readonly burstGapMs: number;
  private readonly intervalMs: number;
  private readonly settleMs: readonly number[];
  private timer: TimerHandle | null = null;
  private running = false;
  private listeners = new Set<() => void>();
  /** Failed probes since the last success. */
  failures = 0;

  constructor(probe: ClockProbe, local: LocalClock, timers: Timers, options: ClockSyncOptions = {}) {
    this.probe = probe;
    this.local = local;
    this.timers = timers;
    this.burst = options.burst ?? 6;
    this.burstGapMs = options.burstGapMs ?? 40;
    this.intervalMs = options.intervalMs ?? 30_000;
    this.settleMs = options.settleMs ?? [2_000, 5_000, 10_000];
    this.estimator = options.estimator ?? new ClockEstimator();
  }

  /** Where the room's clock is followed instead of this peer's own estimate (see RoomClock). */
  private roomOffset: (() => number | null) | null = null;

  now(): number {
    return this.local.now() + this.offset;
  }

  /** Local epoch ms (what data-link pings are stamped with). */
  localNow(): number {
    return this.local.now();
  }

  /** Server − local (ms) in force: the room's clock when another member's is followed, else this estimate. */
  get offset(): number {
    return this.roomOffset?.() ?? this.estimator.offset;
  }

  /** This peer's own estimate of server − local (ms), over HTTP. */
  get ownOffset(): number {
    return this.estimator.offset;
  }

  /** Follow the room's clock where `offset` says so (null: this peer's own estimate). */
  followRoom(offset: (() => number | null) | null): void {
    this.roomOffset = offset;
  }

  get rtt(): number {
    return this.estimator.rtt;
  }

  /** Called after every burst (the offset may have changed). */
  onUpdate(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Takes one sample; resolves to whether it was usable. */
  async sampleOnce(): Promise<boolean> {
    const t0 = this.local.now();
    try {
      const { t1, t2 } = await this.probe(t0);
      const t3 = this.local.now();
      const ok = this.estimator.add({ t0, t1, t2, t3 });
      if (ok) this.failures = 0;
      return ok;
    } catch {
      this.failures += 1;
      return false;
    }
  }

  /** One burst of samples, sequential (parallel probes would queue behind each other). */
  async syncBurst(count: number = this.burst): Promise<void> {
    for (let i = 0; i < count; i += 1) {
      if (i > 0 && this.burstGapMs > 0) await this.sleep(this.burstGapMs);
      await this.sampleOnce();
    }
    this.listeners.forEach((l) => l());
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.timers.setTimeout(resolve, ms);
    });
  }

  /** First burst now, a few more as the page settles, then one every interval (sooner while there is no sample). */
  start(): Promise<void> {
    if (this.running) return Promise.resolve();
    this.running = true;
    let bursts = 0;
    const loop = async (): Promise<void> => {
      if (!this.running) return;
      await this.syncBurst();
      if (!this.running) return;
      const settling = this.settleMs[bursts];
      if (this.estimator.ready) bursts += 1;
      const wait = !this.estimator.ready ? Math.min(this.intervalMs, 2_000) : (settling ?? this.intervalMs);
      this.timer = this.timers.setTimeout(() => void loop(), wait);
    };
    return loop();
  }

  stop(): void {
    this.running = false;
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
  }
}
