import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RealtimeApi } from './api';
import { playbackReportOf, RoomService } from './roomService';
import type { SyncCommand } from './sync/types';

function cmd(action: SyncCommand['action']): SyncCommand {
  return { id: 'c', action, state: { playing: true, position: -0.01, at: 5, rate: 1, id: 'c' }, issued: 0, peer: '', user: '', name: '' };
}

function api(): RealtimeApi & { playback: ReturnType<typeof vi.fn>; join: ReturnType<typeof vi.fn> } {
  return {
    clock: vi.fn(),
    heartbeat: vi.fn().mockRejectedValue(Object.assign(new Error('gone'), { status: 409 })),
    playback: vi.fn().mockResolvedValue(undefined),
    join: vi.fn().mockResolvedValue({ id: 'r' }),
  } as unknown as RealtimeApi & { playback: ReturnType<typeof vi.fn>; join: ReturnType<typeof vi.fn> };
}

describe('RoomService', () => {
  afterEach(() => vi.useRealTimers());

  it('records holds as pauses, resumes and restamps as plays, and nothing of gossip', () => {
    expect(playbackReportOf(cmd('hold'))).toEqual({ action: 'pause', position: 0, rate: 1, at: 5 });
    expect(playbackReportOf(cmd('resume'))?.action).toBe('play');
    expect(playbackReportOf(cmd('restamp'))?.action).toBe('play');
    expect(playbackReportOf(cmd('state'))).toBeNull();
  });

  it('reports 300 ms after the command, and at once what is still waiting when it stops', () => {
    vi.useFakeTimers();
    const a = api();
    const service = new RoomService(a, 'r', 5000, { position: () => ({}), onState: () => undefined, onRejoined: () => undefined });
    service.reportPlayback(cmd('seek'));
    vi.advanceTimersByTime(299);
    expect(a.playback).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(a.playback).toHaveBeenCalledTimes(1);
    service.reportPlayback(cmd('pause'));
    service.stop();
    expect(a.playback).toHaveBeenCalledTimes(2);
    expect(a.playback.mock.calls[1][1].action).toBe('pause');
  });

  it("stops its heartbeats, and says so, once the room's owner removed this member", async () => {
    vi.useFakeTimers();
    const a = api();
    a.heartbeat = vi.fn().mockRejectedValue(Object.assign(new Error('removed'), { status: 403, code: 'removed' }));
    const onRemoved = vi.fn();
    const service = new RoomService(a, 'r', 5000, { position: () => ({}), onState: () => undefined, onRejoined: () => undefined, onRemoved });
    service.start();
    await vi.advanceTimersByTimeAsync(1);
    expect(onRemoved).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(a.heartbeat).toHaveBeenCalledTimes(1);
    expect(a.join).not.toHaveBeenCalled();
  });

  it('joins again when the heartbeat says the room no longer knows this member', async () => {
    const a = api();
    const onRejoined = vi.fn();
    const service = new RoomService(a, 'r', 5000, { position: () => ({}), onState: () => undefined, onRejoined });
    await service.heartbeat();
    await vi.waitFor(() => expect(onRejoined).toHaveBeenCalledWith({ id: 'r' }));
    expect(a.join).toHaveBeenCalledTimes(1);
  });
});
