import { describe, expect, it } from 'vitest';
import { DriftController } from './controller';

describe('DriftController', () => {
  it('leaves small drift alone (dead band)', () => {
    const c = new DriftController();
    expect(c.decide(0.008, 0)).toEqual({ kind: 'hold', factor: 1 });
    expect(c.decide(-0.011, 100)).toEqual({ kind: 'hold', factor: 1 });
  });

  it('nudges the rate in proportion, slower when ahead and faster when behind, capped', () => {
    const c = new DriftController({ gain: 1.5, maxNudge: 0.05, minNudge: 0.01 });
    const ahead = c.decide(0.03, 0);
    expect(ahead.kind).toBe('nudge');
    expect(ahead.factor).toBeCloseTo(1 - 0.045, 6);
    c.reset();
    const behind = c.decide(-0.03, 0);
    expect(behind.factor).toBeCloseTo(1.045, 6);
    c.reset();
    expect(c.decide(0.3, 0).factor).toBeCloseTo(0.95, 6);
    c.reset();
    expect(c.decide(0.02, 0).factor).toBeCloseTo(0.97, 6);
    expect(c.decide(0.0065, 100).factor).toBeCloseTo(0.99, 6); // floor of the nudge
  });

  it('has hysteresis: keeps correcting until well inside the band', () => {
    const c = new DriftController({ enterBand: 0.018, exitBand: 0.006, minNudge: 0.01 });
    expect(c.decide(0.025, 0).kind).toBe('nudge');
    expect(c.decide(0.012, 100).kind).toBe('nudge');
    expect(c.decide(0.008, 200).kind).toBe('nudge');
    expect(c.decide(0.005, 300).kind).toBe('hold');
    expect(c.decide(0.012, 400).kind).toBe('hold');
  });

  it('seeks only for big jumps, and never twice within the cooldown', () => {
    const c = new DriftController({ seekThreshold: 0.4, seekCooldownMs: 8000 });
    expect(c.decide(0.39, 0).kind).toBe('nudge');
    expect(c.decide(0.5, 100).kind).toBe('seek');
    expect(c.seeks).toBe(1);
    const again = c.decide(-0.6, 2000);
    expect(again.kind).toBe('nudge');
    expect(again.factor).toBeCloseTo(1.1, 6);
    expect(c.decide(-0.6, 8200).kind).toBe('seek');
    expect(c.seeks).toBe(2);
  });
});
