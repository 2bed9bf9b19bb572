import { describe, expect, it } from 'vitest';
import { ClockEstimator, ClockSync, sampleOffset, sampleRtt } from './clock';
import { FakeTime } from './fakes';

describe('NTP-style samples', () => {
  it('computes offset and round trip from t0..t3', () => {
    // server is 1000 ms ahead; 10 ms each way; server holds the request 2 ms
    const s = { t0: 0, t1: 1010, t2: 1012, t3: 22 };
    expect(sampleOffset(s)).toBe(1000);
    expect(sampleRtt(s)).toBe(20);
  });

  it('keeps the smallest round trip: queueing delay only adds error to slow samples', () => {
    const est = new ClockEstimator();
    // true offset 500; asymmetric slow samples would suggest other offsets
    est.add({ t0: 0, t1: 560, t2: 561, t3: 62 }); // 60 out, 1 back: rtt 61, offset 529.5
    est.add({ t0: 100, t1: 602, t2: 603, t3: 105 }); // 2 out, 2 back: rtt 4, offset 500
    est.add({ t0: 200, t1: 701, t2: 702, t3: 290 }); // 1 out, 88 back: rtt 89, offset 456.5
    expect(est.offset).toBe(500);
    expect(est.rtt).toBe(4);
    expect(est.count).toBe(3);
  });

  it('rejects impossible samples', () => {
    const est = new ClockEstimator();
    expect(est.add({ t0: 10, t1: 5, t2: 4, t3: 20 })).toBe(false);
    expect(est.add({ t0: 10, t1: Number.NaN, t2: 4, t3: 20 })).toBe(false);
    expect(est.add({ t0: 10, t1: 5, t2: 30, t3: 20 })).toBe(false); // server time exceeds the round trip
    expect(est.ready).toBe(false);
    expect(est.offset).toBe(0);
  });

  it('forgets old samples so a re-estimate can follow a changed clock', () => {
    const est = new ClockEstimator({ maxSamples: 3 });
    est.add({ t0: 0, t1: 101, t2: 101, t3: 2 }); // rtt 2, offset 100
    for (let i = 1; i <= 3; i += 1) est.add({ t0: i * 1000, t1: i * 1000 + 205, t2: i * 1000 + 205, t3: i * 1000 + 10 });
    expect(est.offset).toBe(200);
  });
});

describe('ClockSync', () => {
  it('estimates the offset within half the best round trip and re-estimates periodically', async () => {
    const time = new FakeTime(1_000_000);
    const trueOffset = 12_345.6;
    let calls = 0;
    const delays = [[30, 2], [4, 5], [12, 40], [3, 3], [50, 10], [8, 9]];
    const probe = (_t0: number): Promise<{ t1: number; t2: number }> => {
      const [out, back] = delays[calls % delays.length];
      calls += 1;
      return new Promise((resolve) => {
        time.setTimeout(() => {
          const t1 = time.now + trueOffset;
          time.setTimeout(() => resolve({ t1, t2: t1 + 1 }), 1 + back);
        }, out);
      });
    };
    const sync = new ClockSync(probe, { now: () => time.now }, time, { burst: 6, burstGapMs: 10, intervalMs: 5_000, settleMs: [] });
    const step = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i += 1) {
        time.advance(1);
        for (let k = 0; k < 5; k += 1) await Promise.resolve();
      }
    };
    const done = sync.start();
    await step(500);
    await done;
    expect(calls).toBe(6);
    expect(Math.abs(sync.offset - trueOffset)).toBeLessThanOrEqual(sync.rtt / 2);
    expect(sync.rtt).toBe(6);
    expect(Math.abs(sync.now() - (time.now + trueOffset))).toBeLessThan(4);
    await step(6000);
    expect(calls).toBeGreaterThanOrEqual(12);
    sync.stop();
  });

  it('estimates again within seconds when the first burst queued behind a loading page', async () => {
    const time = new FakeTime(1_000_000);
    const trueOffset = -4_321;
    let calls = 0;
    const probe = (_t0: number): Promise<{ t1: number; t2: number }> => {
      // the first burst: every request held 150 ms before the server and its answer 150 ms after
      const [out, back] = calls < 6 ? [150, 150] : [3, 3];
      calls += 1;
      return new Promise((resolve) => {
        time.setTimeout(() => {
          const t1 = time.now + trueOffset;
          time.setTimeout(() => resolve({ t1, t2: t1 }), back);
        }, out);
      });
    };
    const sync = new ClockSync(probe, { now: () => time.now }, time, { burst: 6, burstGapMs: 40 });
    const step = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i += 1) {
        time.advance(1);
        for (let k = 0; k < 5; k += 1) await Promise.resolve();
      }
    };
    void sync.start();
    await step(2_200);
    expect(sync.rtt).toBe(300);
    await step(2_500);
    expect(sync.rtt).toBe(6);
    expect(Math.abs(sync.offset - trueOffset)).toBeLessThanOrEqual(3);
    sync.stop();
  });

  it('counts failed probes and keeps going', async () => {
    const time = new FakeTime();
    const sync = new ClockSync(() => Promise.reject(new Error('down')), { now: () => time.now }, time, { burst: 2, burstGapMs: 0 });
    await sync.syncBurst();
    expect(sync.failures).toBe(2);
    expect(sync.estimator.ready).toBe(false);
  });
});
