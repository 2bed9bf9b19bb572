import type { ComponentType } from 'react';
import type { JoinResponse, User } from '../../api/types';

/** What the room page hands the real-time panel (sync engine, chat, voice). */
export interface RoomRealtimeProps {
  room: JoinResponse;
  video: HTMLVideoElement | null;
  me: User;
}

// The real-time panel lives in src/realtime; until its entry point exists the room shows a placeholder.
const modules = import.meta.glob<{ RoomRealtime?: ComponentType<RoomRealtimeProps> }>('../../realtime/index.ts', {
  eager: true,
});
const RealComponent = Object.values(modules)[0]?.RoomRealtime ?? null;

function Placeholder(_props: RoomRealtimeProps) {
  return (
    <aside className="card realtime-placeholder" aria-label="Chat and voice">
      <h2>Chat and voice</h2>
      <p className="muted">Chat and voice are not available in this build.</p>
    </aside>
  );
}

export const RealtimeSlot: ComponentType<RoomRealtimeProps> = RealComponent ?? Placeholder;
export const hasRealtime = RealComponent !== null;
