import type { ComponentType } from 'react';
import type { JoinResponse, User } from '../../api/types';
import { RoomRealtime } from '../../realtime';

/** What the room page hands the real-time panel (sync engine, chat, voice). */
export interface RoomRealtimeProps {
  room: JoinResponse;
  video: HTMLVideoElement | null;
  me: User;
  /** An element over the player for the room's notices. */
  noticeHost?: HTMLElement | null;
}

/** The real-time panel: keeps the page's one <video> in sync with the room and hosts chat and voice. */
export const RealtimeSlot: ComponentType<RoomRealtimeProps> = RoomRealtime;

/** The panel heartbeats the room itself (with the playback position), so the frame does not. */
export const realtimeHeartbeats = true;
