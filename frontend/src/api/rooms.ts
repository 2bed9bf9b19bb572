import { apiRequest } from './client';
import type {
  ContentItem,
  IceServer,
  JoinResponse,
  PeerConfig,
  PlaybackState,
  QueueEntry,
  RecentRoom,
  Room,
  RoomMember,
} from './types';

type Raw = Record<string, unknown>;

function isRecord(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return null;
}

function num(value: unknown, fallback = 0): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

function normaliseMembers(value: unknown): RoomMember[] {
  if (!Array.isArray(value)) return [];
  return value.filter(isRecord).map((m) => ({
    user_id: str(m.user_id ?? m.id) ?? '',
    username: str(m.username ?? m.name) ?? 'someone',
    peer_id: str(m.peer_id),
    online: typeof m.online === 'boolean' ? m.online : undefined,
    last_seen: typeof m.last_seen === 'number' || typeof m.last_seen === 'string' ? m.last_seen : undefined,
  }));
}

function normaliseQueue(raw: Raw): QueueEntry[] {
  const source = raw.queue ?? raw.proposals ?? raw.votes;
  let entries: QueueEntry[] = [];
  if (Array.isArray(source)) {
    entries = source.filter(isRecord).map((q) => {
      const voters = Array.isArray(q.voters) ? q.voters.map((v) => str(v) ?? '').filter(Boolean) : [];
      const votes = typeof q.votes === 'number' ? q.votes : Array.isArray(q.votes) ? q.votes.length : voters.length;
      const content = isRecord(q.content) ? q.content : null;
      return {
        content_id: str(q.content_id ?? content?.id ?? q.id) ?? '',
        title: str(q.title ?? content?.title) ?? undefined,
        votes,
        voters: voters.length ? voters : Array.isArray(q.votes) ? q.votes.map((v) => str(v) ?? '') : [],
        proposed_by: str(q.proposed_by) ?? undefined,
      };
    });
  } else if (isRecord(source)) {
    // { content_id: [voter ids] } or { content_id: count }
    entries = Object.entries(source).map(([content_id, v]) => ({
      content_id,
      votes: Array.isArray(v) ? v.length : num(v),
      voters: Array.isArray(v) ? v.map((x) => str(x) ?? '') : [],
    }));
  }
  return sortQueue(entries.filter((e) => e.content_id));
}

/** Most votes first; ties keep the order they were proposed in. */
export function sortQueue(entries: QueueEntry[]): QueueEntry[] {
  return entries
    .map((entry, index) => ({ entry, index }))
    .sort((a, b) => b.entry.votes - a.entry.votes || a.index - b.index)
    .map(({ entry }) => entry);
}

function normalisePlayback(value: unknown): PlaybackState | null {
  if (!isRecord(value)) return null;
  const playing =
    typeof value.playing === 'boolean' ? value.playing : value.state === 'playing' || value.status === 'playing';
  return {
    playing,
    position: num(value.position),
    rate: num(value.rate, 1) || 1,
    updated_at: typeof value.updated_at === 'number' ? value.updated_at : typeof value.at === 'number' ? value.at : undefined,
  };
}

/** Accepts the room state in the shapes the room functions may answer (flat, or under `room`). */
export function normaliseRoom(input: unknown): Room {
  const outer: Raw = isRecord(input) ? input : {};
  const raw: Raw = isRecord(outer.room) ? { ...outer, ...outer.room } : outer;
  const content = isRecord(raw.content) ? (raw.content as unknown as ContentItem) : null;
  const host = isRecord(raw.host) ? raw.host : null;
  return {
    id: str(raw.id ?? raw.room_id) ?? '',
    name: str(raw.name) ?? 'Room',
    host_id: str(raw.host_id ?? host?.user_id ?? host?.id ?? raw.host) ?? null,
    owner_id: str(raw.owner_id) ?? null,
    has_pin: Boolean(raw.has_pin ?? raw.pin_required ?? raw.protected),
    locked: Boolean(raw.locked),
    content_id: str(raw.content_id ?? content?.id) ?? null,
    content,
    playback: normalisePlayback(raw.playback ?? raw.state),
    members: normaliseMembers(raw.members),
    queue: normaliseQueue(raw),
    created_at: typeof raw.created_at === 'number' || typeof raw.created_at === 'string' ? raw.created_at : undefined,
  };
}

export function normaliseJoin(input: unknown): JoinResponse {
  const outer: Raw = isRecord(input) ? input : {};
  const room = normaliseRoom(outer);
  const rawPeer: Raw = isRecord(outer.peer) ? outer.peer : {};
  const peer: PeerConfig = {
    host: str(rawPeer.host) ?? window.location.hostname,
    port: num(rawPeer.port, Number(window.location.port) || (window.location.protocol === 'https:' ? 443 : 80)),
    path: str(rawPeer.path) ?? '/peerjs',
    key: str(rawPeer.key) ?? 'peerjs',
    secure: typeof rawPeer.secure === 'boolean' ? rawPeer.secure : window.location.protocol === 'https:',
    token: str(rawPeer.token) ?? undefined,
    token_expires: typeof rawPeer.token_expires === 'number' ? rawPeer.token_expires : undefined,
    peer_id: str(rawPeer.peer_id) ?? undefined,
    server_index: isRecord(rawPeer.server) && typeof rawPeer.server.index === 'number' ? rawPeer.server.index : undefined,
  };
  const ice = outer.ice_servers ?? (isRecord(outer.room) ? outer.room.ice_servers : undefined);
  const ice_servers: IceServer[] = Array.isArray(ice) ? (ice.filter(isRecord) as unknown as IceServer[]) : [];
  const wait = outer.buffer_wait_s;
  // the service's setting (ROOM_BUFFER_WAIT_S, 1-600 s); anything else leaves the engine's own bound
  const buffer_wait_s = typeof wait === 'number' && wait > 0 && wait <= 600 ? wait : undefined;
  return { ...room, peer, ice_servers, buffer_wait_s };
}

export interface CreateRoomInput {
  name: string;
  pin?: string;
  content_id?: string;
}

export async function createRoom(input: CreateRoomInput): Promise<Room> {
  const body: Record<string, string> = { name: input.name };
  if (input.pin) body.pin = input.pin;
  if (input.content_id) body.content_id = input.content_id;
  return normaliseRoom(await apiRequest<unknown>('create-room', { method: 'POST', body }));
}

export async function joinRoom(room_id: string, pin?: string): Promise<JoinResponse> {
  const body: Record<string, string> = { room_id };
  if (pin) body.pin = pin;
  return normaliseJoin(await apiRequest<unknown>('join-room', { method: 'POST', body }));
}

const roomPath = (id: string, sub = '') => `room/${encodeURIComponent(id)}${sub}`;

export async function getRoom(id: string, signal?: AbortSignal): Promise<Room> {
  return normaliseRoom(await apiRequest<unknown>(roomPath(id), { signal }));
}

export function leaveRoom(id: string, keepalive = false): Promise<unknown> {
  return apiRequest(roomPath(id, '/leave'), { method: 'POST', body: {}, keepalive });
}

export function heartbeat(id: string, state: { position?: number; playing?: boolean }): Promise<unknown> {
  return apiRequest(roomPath(id, '/heartbeat'), { method: 'POST', body: state });
}

export function propose(id: string, content_id: string): Promise<unknown> {
  return apiRequest(roomPath(id, '/propose'), { method: 'POST', body: { content_id } });
}

export function vote(id: string, content_id: string): Promise<unknown> {
  return apiRequest(roomPath(id, '/vote'), { method: 'POST', body: { content_id } });
}

export function playNext(id: string): Promise<unknown> {
  return apiRequest(roomPath(id, '/next'), { method: 'POST', body: {} });
}

export function setRoomContent(id: string, content_id: string): Promise<unknown> {
  return apiRequest(roomPath(id, '/content'), { method: 'POST', body: { content_id } });
}

export function setHost(id: string, user_id: string): Promise<unknown> {
  return apiRequest(roomPath(id, '/host'), { method: 'POST', body: { user_id } });
}

/** The room's owner removes a member for the room's life (the service refuses them when they try to join again). */
export function removeMember(id: string, user_id: string): Promise<unknown> {
  return apiRequest(roomPath(id, '/remove'), { method: 'POST', body: { user_id } });
}

export function setLocked(id: string, locked: boolean): Promise<unknown> {
  return apiRequest(roomPath(id, '/lock'), { method: 'POST', body: { locked } });
}

export async function myRooms(): Promise<RecentRoom[]> {
  const res = await apiRequest<{ items?: unknown[]; rooms?: unknown[] } | unknown[]>('room/mine');
  const list = Array.isArray(res) ? res : (res.rooms ?? res.items ?? []);
  return list.filter(isRecord).map((r) => {
    const content = isRecord(r.content) ? r.content : null;
    return {
      id: str(r.id ?? r.room_id) ?? '',
      name: str(r.name) ?? 'Room',
      has_pin: Boolean(r.has_pin),
      content_title: str(r.content_title ?? content?.title),
      last_joined: typeof r.last_joined === 'number' || typeof r.last_joined === 'string' ? r.last_joined : undefined,
      members: Array.isArray(r.members) ? r.members.length : typeof r.members === 'number' ? r.members : undefined,
      is_host: typeof r.is_host === 'boolean' ? r.is_host : undefined,
    };
  });
}

/** A room code typed by a person may be the bare id or a whole link to the room. */
export function parseRoomCode(input: string): string {
  const trimmed = input.trim();
  const match = /\/rooms\/([^/?#\s]+)/.exec(trimmed);
  return decodeURIComponent(match ? match[1] : trimmed);
}
