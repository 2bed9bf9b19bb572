/** The room functions the real-time side calls (through the app's API client: same origin, Bearer token). */
import { apiRequest } from '../api/client';
import { normaliseJoin } from '../api/rooms';
import type { JoinResponse, RoomMember } from '../api/types';

export interface RoomPlayback {
  state?: 'playing' | 'paused';
  playing?: boolean;
  position: number;
  /** Server epoch ms at which `position` held. */
  updated_at?: number;
  rate: number;
}

/** What join-room answers (read by normaliseJoin), as far as the real-time side relies on it. */
export type JoinRoomResponse = Pick<
  JoinResponse,
  'id' | 'name' | 'host_id' | 'members' | 'content_id' | 'playback' | 'locked' | 'peer' | 'ice_servers' | 'buffer_wait_s'
>;

/** The room state answers of heartbeat / room GET (fields used here). */
export interface RoomStateAnswer {
  host_id?: string | null;
  locked?: boolean;
  members?: RoomMember[];
  content_id?: string | null;
  playback?: RoomPlayback | null;
  /** The room's signalling server now (its place in the pool); it changes when the room moves. */
  peer_server?: number;
  /** Peer-id prefixes of the members the owner removed. */
  removed_peers?: string[];
}

export interface RealtimeApi {
  clock(t0: number): Promise<{ t1: number; t2: number }>;
  heartbeat(roomId: string, body: { position?: number; playing?: boolean }): Promise<RoomStateAnswer>;
  playback(roomId: string, body: { action: 'play' | 'pause' | 'seek' | 'rate'; position: number; rate?: number; at?: number }): Promise<unknown>;
  join(roomId: string): Promise<JoinRoomResponse>;
}

const roomPath = (id: string, sub: string): string => `room/${encodeURIComponent(id)}${sub}`;

export const defaultApi: RealtimeApi = {
  async clock(t0: number) {
    const res = await fetch('/function/clock', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ t0 }),
      cache: 'no-store',
    });
    if (!res.ok) throw new Error(`clock ${res.status}`);
    const body = (await res.json()) as { t1?: unknown; t2?: unknown };
    const t1 = Number(body.t1);
    const t2 = Number(body.t2 ?? body.t1);
    if (!Number.isFinite(t1) || !Number.isFinite(t2)) throw new Error('clock answer');
    return { t1, t2 };
  },
  heartbeat(roomId, body) {
    return apiRequest<RoomStateAnswer>(roomPath(roomId, '/heartbeat'), { method: 'POST', body, logoutOn401: false });
  },
  playback(roomId, body) {
    return apiRequest<unknown>(roomPath(roomId, '/playback'), { method: 'POST', body, logoutOn401: false });
  },
  async join(roomId) {
    // the same reading of the answer as the page's own join
    return normaliseJoin(await apiRequest<unknown>('join-room', { method: 'POST', body: { room_id: roomId }, logoutOn401: false }));
  },
};

/** ICE transport policy: `?ice=relay` / localStorage `flmnchll.ice` = relay for TURN-only checks; else the browser's. */
export function icePolicyOf(): RTCIceTransportPolicy | undefined {
  try {
    const q = new URLSearchParams(window.location.search).get('ice');
    if (q === 'relay' || q === 'all') return q;
    const stored = window.localStorage.getItem('flmnchll.ice');
    if (stored === 'relay' || stored === 'all') return stored;
  } catch {
    // no window or storage
  }
  return undefined;
}
