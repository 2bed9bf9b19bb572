import { act, cleanup, renderHook } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { useRoomAction } from './useRoomAction';

afterEach(() => cleanup());

describe('useRoomAction', () => {
  it('is busy while the action runs, then fetches the room again', async () => {
    const onChanged = vi.fn(async () => undefined);
    let finish: () => void = () => undefined;
    const { result } = renderHook(() => useRoomAction(onChanged));
    let done: Promise<void> = Promise.resolve();
    act(() => {
      done = result.current.run(() => new Promise<void>((resolve) => (finish = resolve)));
    });
    expect(result.current.busy).toBe(true);
    expect(onChanged).not.toHaveBeenCalled();
    await act(async () => {
      finish();
      await done;
    });
    expect(onChanged).toHaveBeenCalledTimes(1);
    expect(result.current.busy).toBe(false);
    expect(result.current.error).toBeNull();
  });

  it('keeps what a failed action says, leaves the room as it was, and forgets it when another starts', async () => {
    const onChanged = vi.fn(async () => undefined);
    const { result } = renderHook(() => useRoomAction(onChanged));
    const refused = new Error('Only the host can do that.');
    await act(() => result.current.run(() => Promise.reject(refused)));
    expect(result.current.error).toBe(refused);
    expect(result.current.busy).toBe(false);
    expect(onChanged).not.toHaveBeenCalled();
    await act(() => result.current.run(async () => undefined));
    expect(result.current.error).toBeNull();
    expect(onChanged).toHaveBeenCalledTimes(1);
  });
});
