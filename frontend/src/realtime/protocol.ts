/**
 * The messages peers exchange over their data channels (PeerJS, JSON serialization).
 * Every message is one JSON object with a `type`; unknown types are ignored, so versions can mix.
 */
import type { ChatLine } from './chat/chat';
import type { SyncState, SyncWire } from './sync/types';

export const PROTOCOL_VERSION = 1;

export interface MemberInfo {
  peer_id: string;
  user_id: string;
  username: string;
}

export interface VoiceStatus {
  on: boolean;
  muted: boolean;
}

export type HelloWire = {
  type: 'hello';
  v: number;
  peer_id: string;
  user_id: string;
  username: string;
  /** The sender's timeline (null while it only knows the server's). */
  state: SyncState | null;
  /** Recent chat lines (capped), for late joiners. */
  chat: ChatLine[];
  voice: VoiceStatus;
  buffering: boolean;
  /** Members the sender is linked to, so newcomers find everyone. */
  members: MemberInfo[];
  locked: boolean;
  host_id: string | null;
};

export type MeshWire =
  | HelloWire
  | { type: 'roster'; members: MemberInfo[] }
  | { type: 'chat'; line: ChatLine }
  /** `q`: the sender's HTTP clock round trip (ms), how good its clock is (see sync/roomClock.ts). */
  | { type: 'ping'; t: number; q?: number }
  /** `r`: the answering member's room time when it answered, `l` its local clock then; `q` as for ping. */
  | { type: 'pong'; t: number; r?: number; l?: number; q?: number }
  | { type: 'voice'; on: boolean; muted: boolean }
  | { type: 'room'; locked: boolean; host_id: string | null }
  | { type: 'bye' };

export type WireMessage = SyncWire | MeshWire;

const TYPES = new Set(['cmd', 'state', 'buffering', 'edge', 'hello', 'roster', 'chat', 'ping', 'pong', 'voice', 'room', 'bye']);

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isPosition(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0;
}

function isState(v: unknown): boolean {
  return (
    isRecord(v) &&
    typeof v.playing === 'boolean' &&
    typeof v.position === 'number' &&
    Number.isFinite(v.position) &&
    typeof v.at === 'number' &&
    Number.isFinite(v.at) &&
    typeof v.rate === 'number' &&
    v.rate > 0 &&
    typeof v.id === 'string'
  );
}

/** Shape check of an incoming message; anything else is dropped before it reaches the engine. */
export function parseWire(data: unknown): WireMessage | null {
  let value = data;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return null;
    }
  }
  if (!isRecord(value) || typeof value.type !== 'string' || !TYPES.has(value.type)) return null;
  switch (value.type) {
    case 'cmd': {
      const c = value.cmd;
      if (!isRecord(c) || typeof c.id !== 'string' || typeof c.action !== 'string' || !isState(c.state)) return null;
      if (typeof c.issued !== 'number' || typeof c.peer !== 'string' || typeof c.user !== 'string') return null;
      if (typeof c.name !== 'string') return null;
      if (c.edge !== undefined && typeof c.edge !== 'boolean') return null;
      break;
    }
    case 'state':
      if (!isState(value.state)) return null;
      break;
    case 'buffering':
      if (typeof value.peer !== 'string' || typeof value.on !== 'boolean' || typeof value.at !== 'number') return null;
      if (value.edge !== undefined && !isPosition(value.edge)) return null;
      break;
    case 'edge':
      if (typeof value.peer !== 'string' || !isPosition(value.edge) || typeof value.growing !== 'boolean') return null;
      break;
    case 'hello':
      if (typeof value.peer_id !== 'string' || typeof value.user_id !== 'string' || typeof value.username !== 'string') return null;
      if (value.state !== null && !isState(value.state)) return null;
      if (!Array.isArray(value.chat) || !Array.isArray(value.members)) return null;
      break;
    case 'roster':
      if (!Array.isArray(value.members)) return null;
      break;
    case 'chat':
      if (!isRecord(value.line)) return null;
      break;
    case 'ping':
    case 'pong':
      if (typeof value.t !== 'number') return null;
      break;
    case 'voice':
      if (typeof value.on !== 'boolean' || typeof value.muted !== 'boolean') return null;
      break;
    case 'room':
      if (typeof value.locked !== 'boolean') return null;
      break;
    default:
      break;
  }
  return value as unknown as WireMessage;
}

export function isMemberInfo(v: unknown): v is MemberInfo {
  return isRecord(v) && typeof v.peer_id === 'string' && typeof v.user_id === 'string' && typeof v.username === 'string';
}
