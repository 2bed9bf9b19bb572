/** What the room panel renders of a session: status, members, chat, voice, playback figures. */
import type { ChatLine } from './chat/chat';
import type { PeerInfo } from './members';
import type { MeshStatus } from './mesh/mesh';
import type { MemberInfo, VoiceStatus } from './protocol';
import { SELF, type Voice } from './voice/voice';

export interface MemberView {
  peer_id: string | null;
  user_id: string;
  username: string;
  self: boolean;
  linked: boolean;
  voice: VoiceStatus | null;
  speaking: boolean;
  buffering: boolean;
  host: boolean;
}

export interface VoiceView {
  joined: boolean;
  joining: boolean;
  muted: boolean;
  pushToTalk: boolean;
  talking: boolean;
  transmitting: boolean;
  error: string | null;
}

export interface SessionSnapshot {
  status: MeshStatus;
  statusDetail: string | null;
  members: MemberView[];
  chat: readonly ChatLine[];
  /** The newest room actions (a subset of the chat's system lines), oldest first. */
  notices: readonly ChatLine[];
  locked: boolean;
  hostId: string | null;
  canControl: boolean;
  needsGesture: boolean;
  voice: VoiceView;
  duck: boolean;
  driftMs: number;
  holding: boolean;
  waitingFor: string[];
  /** The room waits at the end of what is encoded of a film still being encoded (no limit: nobody can go on). */
  waitingForEncoder: boolean;
  /** The longest the room waits for them before going on (s). */
  waitLimitS: number;
}

export function voiceViewOf(voice: Voice): VoiceView {
  return {
    joined: voice.joined,
    joining: voice.joining,
    muted: voice.muted,
    pushToTalk: voice.pushToTalk,
    talking: voice.talking,
    transmitting: voice.transmitting,
    error: voice.error,
  };
}

export interface MemberListInput {
  me: { peer: string | null; user_id: string; username: string; online: boolean };
  voice: Pick<Voice, 'joined' | 'status' | 'speaking'>;
  peers: ReadonlyMap<string, PeerInfo>;
  roster: readonly MemberInfo[];
  hostId: string | null;
  /** Peers the room waits for (buffering). */
  waiting: ReadonlySet<string>;
}

/** One line a member: this one, then the linked peers, then the roster's others; each user once. */
export function memberViews({ me, voice, peers, roster, hostId, waiting }: MemberListInput): MemberView[] {
  const members: MemberView[] = [];
  const seen = new Set<string>();
  members.push({
    peer_id: me.peer,
    user_id: me.user_id,
    username: me.username,
    self: true,
    linked: me.online,
    voice: voice.joined ? voice.status : null,
    speaking: voice.speaking.has(SELF),
    buffering: me.peer !== null && waiting.has(me.peer),
    host: me.user_id === hostId,
  });
  seen.add(me.user_id);
  for (const [peerId, info] of peers) {
    if (seen.has(info.user_id)) continue;
    seen.add(info.user_id);
    members.push({
      peer_id: peerId,
      user_id: info.user_id,
      username: info.username,
      self: false,
      linked: info.linked,
      voice: info.voice,
      speaking: voice.speaking.has(peerId),
      buffering: waiting.has(peerId),
      host: info.user_id === hostId,
    });
  }
  for (const m of roster) {
    if (seen.has(m.user_id)) continue;
    seen.add(m.user_id);
    members.push({
      peer_id: m.peer_id,
      user_id: m.user_id,
      username: m.username,
      self: false,
      linked: false,
      voice: null,
      speaking: false,
      buffering: false,
      host: m.user_id === hostId,
    });
  }
  return members;
}
