import { useState } from 'react';

export interface RoomAction {
  /** An action is under way: the panel's buttons wait for it. */
  busy: boolean;
  /** What the last action failed with (null once another starts). */
  error: unknown;
  run: (action: () => Promise<unknown>) => Promise<void>;
}

/**
 * A member's action on the room from one of its panels (a vote, a proposal, the host's play or lock, handing
 * over the host): one at a time, the room's state fetched again once it is done, and its failure kept to show.
 */
export function useRoomAction(onChanged: () => Promise<void>): RoomAction {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = async (action: () => Promise<unknown>): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      await action();
      await onChanged();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run };
}
