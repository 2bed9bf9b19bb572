import { describe, expect, it } from 'vitest';
import { BufferingCoordinator } from './buffering';

const T = 1_000_000;

describe('BufferingCoordinator', () => {
  it('does nothing for a stall that ends within the grace', () => {
    const b = new BufferingCoordinator({ graceMs: 800 });
    b.report('B', true, T);
    expect(b.evaluate(T + 500, true, 0)).toBeNull();
    b.report('B', false, T + 600);
    expect(b.evaluate(T + 900, true, 0)).toBeNull();
    expect(b.waiting).toEqual([]);
  });

  it('holds after the grace, resumes after the last ready report plus the lead', () => {
    const b = new BufferingCoordinator({ graceMs: 800, resumeLeadMs: 300 });
    b.report('B', true, T);
    b.report('C', true, T + 100);
    expect(b.evaluate(T + 799, true, 0)).toBeNull();
    const hold = b.evaluate(T + 820, true, 0);
    expect(hold).toEqual({ kind: 'hold', id: `hold:B:${T}`, at: T + 800, peer: 'B' });
    expect(b.evaluate(T + 900, true, 0)).toBeNull();
    b.report('C', false, T + 2000);
    expect(b.evaluate(T + 2001, false, 0)).toBeNull();
    b.report('B', false, T + 3000);
    expect(b.evaluate(T + 3001, false, 0)).toEqual({ kind: 'resume', id: `resume:hold:B:${T}`, holdId: `hold:B:${T}`, at: T + 3300, dropped: [] });
    expect(b.holding).toBeNull();
  });

  it('voids a hold when the ready report, stamped before its moment, arrives after it', () => {
    const b = new BufferingCoordinator({ graceMs: 800, resumeLeadMs: 300 });
    b.report('B', true, T);
    expect(b.evaluate(T + 820, true, 0)).toEqual({ kind: 'hold', id: `hold:B:${T}`, at: T + 800, peer: 'B' });
    // B was ready at T + 790 (so B itself never held); the news took 100 ms
    b.report('B', false, T + 790);
    expect(b.evaluate(T + 890, false, 0)).toEqual({ kind: 'void', holdId: `hold:B:${T}` });
    expect(b.holding).toBeNull();
    // ready exactly at the moment or after: the hold stood, and the room resumes
    b.report('C', true, T + 5000);
    expect(b.evaluate(T + 5800, true, 0)?.kind).toBe('hold');
    b.report('C', false, T + 5800);
    expect(b.evaluate(T + 5900, false, 0)?.kind).toBe('resume');
  });

  it('is order independent: two peers receiving reports in different orders agree', () => {
    const x = new BufferingCoordinator();
    const y = new BufferingCoordinator();
    x.report('B', true, T);
    x.report('C', true, T + 50);
    y.report('C', true, T + 50);
    y.report('B', true, T);
    const hx = x.evaluate(T + 1000, true, 0);
    const hy = y.evaluate(T + 1010, true, 0);
    expect(hx).toEqual(hy);
    x.report('B', false, T + 1500);
    x.report('C', false, T + 1700);
    y.report('C', false, T + 1700);
    y.report('B', false, T + 1500);
    expect(x.evaluate(T + 1800, false, 0)).toEqual(y.evaluate(T + 1750, false, 0));
  });

  it('does not hold a paused room, and never before the grace after a play', () => {
    const b = new BufferingCoordinator({ graceMs: 800 });
    b.report('B', true, T);
    expect(b.evaluate(T + 5000, false, 0)).toBeNull();
    // the room starts playing at T+6000 while B still waits
    expect(b.evaluate(T + 6100, true, T + 6000)).toBeNull();
    expect(b.evaluate(T + 6800, true, T + 6000)?.kind).toBe('hold');
  });

  it('drops a stuck peer after the timeout; it cannot hold the room again until ready', () => {
    const b = new BufferingCoordinator({ graceMs: 800, dropAfterMs: 10_000, resumeLeadMs: 300 });
    b.report('B', true, T);
    const hold = b.evaluate(T + 800, true, 0);
    expect(hold?.kind).toBe('hold');
    expect(b.evaluate(T + 10_000, false, 0)).toBeNull();
    const resume = b.evaluate(T + 10_800, false, 0);
    expect(resume).toMatchObject({ kind: 'resume', at: T + 800 + 10_000 + 300, dropped: ['B'] });
    expect(b.isDropped('B')).toBe(true);
    expect(b.report('B', true, T + 11_000)).toBe(false);
    expect(b.evaluate(T + 13_000, true, T + 11_100)).toBeNull();
    b.report('B', false, T + 14_000);
    expect(b.isDropped('B')).toBe(false);
    b.report('B', true, T + 15_000);
    expect(b.evaluate(T + 15_800, true, T + 11_100)?.kind).toBe('hold');
  });

  it('stops waiting for a peer that left', () => {
    const b = new BufferingCoordinator({ graceMs: 800, resumeLeadMs: 300 });
    b.report('B', true, T);
    b.evaluate(T + 800, true, 0);
    b.remove('B', T + 1200);
    expect(b.evaluate(T + 1201, false, 0)).toMatchObject({ kind: 'resume', at: T + 1500 });
  });

  it('holds for the encoder exactly when the timeline reaches the edge, at the lowest edge reported', () => {
    const b = new BufferingCoordinator({ graceMs: 800 });
    // B will reach its edge (19.8 s) at T+4000, C a little later at its own (20.3 s)
    b.report('C', true, T + 4500, 20.3);
    b.report('B', true, T + 4000, 19.8);
    expect(b.evaluate(T + 3999, true, T)).toBeNull();
    expect(b.waitingForEncoder).toBe(true);
    expect(b.evaluate(T + 4000, true, T)).toEqual({ kind: 'hold', id: `hold:B:${T + 4000}`, at: T + 4000, peer: 'B', edge: 19.8 });
  });

  it('does not hold when more is encoded before the timeline gets there', () => {
    const b = new BufferingCoordinator({ graceMs: 800 });
    b.report('B', true, T + 4000, 19.8);
    b.report('B', false, T + 3000);
    expect(b.evaluate(T + 5000, true, T)).toBeNull();
    expect(b.waitingForEncoder).toBe(false);
  });

  it('waits for the encoder past the bound, dropping only the members that cannot load', () => {
    const b = new BufferingCoordinator({ graceMs: 800, dropAfterMs: 10_000, resumeLeadMs: 300 });
    b.report('B', true, T + 1000, 19.8);
    b.report('C', true, T + 500);
    expect(b.evaluate(T + 1000, true, T)?.kind).toBe('hold');
    expect(b.evaluate(T + 11_000, false, T)).toEqual({ kind: 'drop', dropped: ['C'] });
    expect(b.isDropped('C')).toBe(true);
    expect(b.evaluate(T + 30_000, false, T)).toBeNull();
    expect(b.holding).not.toBeNull();
    b.report('B', false, T + 31_000);
    expect(b.evaluate(T + 31_001, false, T)).toMatchObject({ kind: 'resume', at: T + 31_300, dropped: [] });
  });
});
