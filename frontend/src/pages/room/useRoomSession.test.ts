import { act, cleanup, renderHook, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../api/client';
import * as rooms from '../../api/rooms';
import type { JoinResponse } from '../../api/types';
import { useRoomSession } from './useRoomSession';

vi.mock('./realtimeSlot', () => ({ realtimeHeartbeats: true }));

const joined = (id: string): JoinResponse => ({
  id,
  name: 'Room',
  host_id: 'u1',
  has_pin: true,
  locked: false,
  content_id: null,
  content: null,
  playback: null,
  members: [],
  queue: [],
  peer: { host: 'h', port: 1, path: '/peerjs', key: 'k' },
  ice_servers: [],
});

describe('useRoomSession', () => {
  beforeEach(() => {
    vi.spyOn(rooms, 'leaveRoom').mockResolvedValue({});
    vi.spyOn(rooms, 'getRoom').mockResolvedValue(joined('r1'));
  });
  afterEach(cleanup);

  it('asks for a PIN without an error, then reports a wrong one, then joins', async () => {
    const join = vi
      .spyOn(rooms, 'joinRoom')
      .mockRejectedValueOnce(new ApiError(403, 'pin_required', 'needs a PIN'))
      .mockRejectedValueOnce(new ApiError(403, 'wrong_pin', 'wrong'))
      .mockResolvedValueOnce(joined('r1'));
    const { result } = renderHook(() => useRoomSession('r1', undefined, null));
    await waitFor(() => expect(result.current.phase.kind).toBe('pin'));
    expect(result.current.phase).toEqual({ kind: 'pin', error: null });

    act(() => result.current.submitPin('1111'));
    await waitFor(() => expect(result.current.phase).toMatchObject({ kind: 'pin', error: { code: 'wrong_pin' } }));

    act(() => result.current.submitPin('2468'));
    await waitFor(() => expect(result.current.phase.kind).toBe('joined'));
    expect(join).toHaveBeenLastCalledWith('r1', '2468');
    expect(result.current.join?.id).toBe('r1');
  });

  it('keeps the wait of too many tries', async () => {
    vi.spyOn(rooms, 'joinRoom').mockRejectedValue(new ApiError(429, 'too_many_pin_tries', 'wait', 30));
    const { result } = renderHook(() => useRoomSession('r2', '0000', null));
    await waitFor(() => expect(result.current.phase).toMatchObject({ kind: 'pin', error: { retryAfter: 30 } }));
  });

  it('fails for a room that does not exist', async () => {
    vi.spyOn(rooms, 'joinRoom').mockRejectedValue(new ApiError(404, 'room_not_found', 'gone'));
    const { result } = renderHook(() => useRoomSession('r3', undefined, null));
    await waitFor(() => expect(result.current.phase.kind).toBe('failed'));
  });

  it('leaves on unmount only after joining', async () => {
    vi.spyOn(rooms, 'joinRoom').mockResolvedValue(joined('r4'));
    const { result, unmount } = renderHook(() => useRoomSession('r4', undefined, null));
    await waitFor(() => expect(result.current.phase.kind).toBe('joined'));
    unmount();
    expect(rooms.leaveRoom).toHaveBeenCalledWith('r4');
  });
});
