import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from '../../api/client';
import { getRoom, heartbeat, joinRoom, leaveRoom } from '../../api/rooms';
import type { JoinResponse, Room } from '../../api/types';
import { realtimeHeartbeats } from './realtimeSlot';

export type RoomPhase =
  | { kind: 'joining' }
  | { kind: 'pin'; error: unknown }
  | { kind: 'joined' }
  | { kind: 'failed'; error: unknown };

export interface RoomSession {
  phase: RoomPhase;
  join: JoinResponse | null;
  room: Room | null;
  submitPin: (pin: string) => void;
  refresh: () => Promise<void>;
}

const POLL_MS = 4000;
const HEARTBEAT_MS = 10000;

/** Joins a room (asking for a PIN when needed), keeps its state fresh, heartbeats, and leaves on exit. */
export function useRoomSession(roomId: string, initialPin: string | undefined, video: HTMLVideoElement | null): RoomSession {
  const [phase, setPhase] = useState<RoomPhase>({ kind: 'joining' });
  const [join, setJoin] = useState<JoinResponse | null>(null);
  const [room, setRoom] = useState<Room | null>(null);
  const [attempt, setAttempt] = useState<{ pin?: string; n: number }>({ pin: initialPin, n: 0 });
  const videoRef = useRef(video);
  videoRef.current = video;

  useEffect(() => {
    let cancelled = false;
    setPhase({ kind: 'joining' });
    joinRoom(roomId, attempt.pin)
      .then((res) => {
        if (cancelled) return;
        setJoin(res);
        setRoom(res);
        setPhase({ kind: 'joined' });
      })
      .catch((err: unknown) => {
        if (cancelled) return;
        if (err instanceof ApiError && (err.status === 403 || err.status === 429 || err.code === 'pin_required')) {
          // locked out for a while, or removed by the host: a PIN would not help
          if (err.status === 403 && /lock|removed/i.test(err.code)) setPhase({ kind: 'failed', error: err });
          // No PIN tried yet: just ask for it, no error.
          else setPhase({ kind: 'pin', error: attempt.pin || err.status === 429 ? err : null });
        } else {
          setPhase({ kind: 'failed', error: err });
        }
      });
    return () => {
      cancelled = true;
    };
  }, [roomId, attempt]);

  const joined = phase.kind === 'joined';
  const joinedRef = useRef(false);
  joinedRef.current = joinedRef.current || joined;

  const refresh = useCallback(async () => {
    try {
      setRoom(await getRoom(roomId));
    } catch (err) {
      if (err instanceof ApiError && (err.status === 403 || err.status === 404)) {
        // dropped from the room (heartbeats lapsed, or it expired): join again
        setAttempt((a) => ({ ...a, n: a.n + 1 }));
      }
    }
  }, [roomId]);

  useEffect(() => {
    if (!joined) return;
    const poll = window.setInterval(() => {
      if (document.visibilityState !== 'hidden') void refresh();
    }, POLL_MS);
    const beat = realtimeHeartbeats
      ? undefined
      : window.setInterval(() => {
          const v = videoRef.current;
          heartbeat(roomId, v ? { position: v.currentTime, playing: !v.paused } : {}).catch(() => undefined);
        }, HEARTBEAT_MS);
    const onHide = () => {
      leaveRoom(roomId, true).catch(() => undefined);
    };
    window.addEventListener('pagehide', onHide);
    return () => {
      window.clearInterval(poll);
      window.clearInterval(beat);
      window.removeEventListener('pagehide', onHide);
    };
  }, [joined, roomId, refresh]);

  // Leave when the person navigates away inside the app.
  useEffect(
    () => () => {
      if (joinedRef.current) leaveRoom(roomId).catch(() => undefined);
    },
    [roomId],
  );

  const submitPin = useCallback((pin: string) => setAttempt((a) => ({ pin, n: a.n + 1 })), []);

  return { phase, join, room, submitPin, refresh };
}
