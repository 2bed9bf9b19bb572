import { describe, expect, it, vi } from 'vitest';
import { PlayTimeMeter, ProgressReporter } from './progressReporter';

describe('PlayTimeMeter', () => {
  it('counts only time between start and stop', () => {
    const m = new PlayTimeMeter();
    m.start(1000);
    m.start(1500); // already running: no reset
    m.stop(3000);
    m.stop(4000);
    m.start(5000);
    expect(m.take(6000)).toBe(3000);
    expect(m.take(6500)).toBe(500);
    m.stop(7000);
    expect(m.take(9000)).toBe(500);
  });
});

describe('ProgressReporter', () => {
  it('reports position and played seconds, and retries lost time', async () => {
    let now = 0;
    const sent: unknown[] = [];
    const send = vi.fn(async (body: unknown) => {
      sent.push(body);
    });
    const reporter = new ProgressReporter(send, 5000, () => now);
    const video = document.createElement('video');
    Object.defineProperty(video, 'currentTime', { value: 0, writable: true });
    Object.defineProperty(video, 'duration', { value: 120 });
    reporter.attach(video);
    video.dispatchEvent(new Event('playing'));
    now = 4000;
    video.currentTime = 4;
    video.dispatchEvent(new Event('pause'));
    await Promise.resolve();
    expect(sent).toEqual([{ position: 4, duration: 120, playing_seconds: 4 }]);
    // nothing new: nothing sent
    reporter.flush(false);
    await Promise.resolve();
    expect(send).toHaveBeenCalledTimes(1);
    reporter.detach();
  });
});
