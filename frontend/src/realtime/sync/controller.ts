/**
 * Steady-state drift correction. `drift` is media position minus where the room's timeline says it
 * should be (s): positive means ahead. Small drift is corrected by nudging the playback rate in
 * proportion; only big jumps are corrected by seeking, at most once per cooldown, so it never loops.
 */

export interface DriftControllerOptions {
  /** Start correcting when |drift| exceeds this (s). */
  enterBand?: number;
  /** Stop correcting once |drift| is back under this (s): hysteresis with enterBand. */
  exitBand?: number;
  /** Rate change per second of drift (1.5 → 30 ms ahead plays 4.5 % slower). */
  gain?: number;
  /** Smallest and largest relative nudge. */
  minNudge?: number;
  maxNudge?: number;
  /** Seek when |drift| exceeds this (s)... */
  seekThreshold?: number;
  /** ...but never twice within this (ms); rate nudges keep working in between. */
  seekCooldownMs?: number;
}

export type DriftDecision =
  | { kind: 'hold'; factor: 1 }
  | { kind: 'nudge'; factor: number }
  | { kind: 'seek'; factor: 1 };

export class DriftController {
  readonly enterBand: number;
  readonly exitBand: number;
  readonly gain: number;
  readonly minNudge: number;
  readonly maxNudge: number;
  readonly seekThreshold: number;
  readonly seekCooldownMs: number;
  private correcting = false;
  private lastSeekAt = Number.NEGATIVE_INFINITY;
  /** Corrective seeks decided so far. */
  seeks = 0;

  constructor(options: DriftControllerOptions = {}) {
    this.enterBand = options.enterBand ?? 0.012;
    this.exitBand = options.exitBand ?? 0.004;
    this.gain = options.gain ?? 1.5;
    this.minNudge = options.minNudge ?? 0.01;
    this.maxNudge = options.maxNudge ?? 0.1;
    this.seekThreshold = options.seekThreshold ?? 0.4;
    this.seekCooldownMs = options.seekCooldownMs ?? 8_000;
  }

  get isCorrecting(): boolean {
    return this.correcting;
  }

  /** Forget the correction in progress (after a command, a seek or a pause). */
  reset(): void {
    this.correcting = false;
  }

  /** Rate factor for a given drift, ignoring the bands. */
  nudgeFor(drift: number): number {
    const magnitude = Math.min(this.maxNudge, Math.max(this.minNudge, Math.abs(drift) * this.gain));
    return drift > 0 ? 1 - magnitude : 1 + magnitude;
  }

  decide(drift: number, nowMs: number): DriftDecision {
    const abs = Math.abs(drift);
    if (!Number.isFinite(drift)) return { kind: 'hold', factor: 1 };
    if (abs >= this.seekThreshold && nowMs - this.lastSeekAt >= this.seekCooldownMs) {
      this.lastSeekAt = nowMs;
      this.correcting = false;
      this.seeks += 1;
      return { kind: 'seek', factor: 1 };
    }
    if (this.correcting ? abs <= this.exitBand : abs < this.enterBand) {
      this.correcting = false;
      return { kind: 'hold', factor: 1 };
    }
    this.correcting = true;
    return { kind: 'nudge', factor: this.nudgeFor(drift) };
  }
}
