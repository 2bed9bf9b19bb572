/**
 * The room's members as one session knows them: the peers linked to it (each introduced by its hello)
 * and the room service's roster (members not linked yet).
 */
import { isMemberInfo, type HelloWire, type MemberInfo, type VoiceStatus } from './protocol';

/** A peer this session has (or had) a link with. */
export interface PeerInfo {
  user_id: string;
  username: string;
  linked: boolean;
  voice: VoiceStatus | null;
  /** Forgets the peer when its link stays down. */
  goneTimer: ReturnType<typeof setTimeout> | null;
}

/** How long a peer whose link went down is kept before it counts as gone (ms). */
const GONE_AFTER_MS = 8000;

/** The other members in a room service answer's `members` (malformed entries and this member left out). */
export function rosterOf(members: unknown, myId: string): MemberInfo[] {
  if (!Array.isArray(members)) return [];
  const out: MemberInfo[] = [];
  for (const m of members) {
    if (typeof m !== 'object' || m === null) continue;
    const r = m as Record<string, unknown>;
    if (typeof r.peer_id === 'string' && r.peer_id && typeof r.user_id === 'string' && r.user_id !== myId) {
      out.push({ peer_id: r.peer_id, user_id: r.user_id, username: typeof r.username === 'string' ? r.username : 'someone' });
    }
  }
  return out;
}

export class Members {
  readonly peers = new Map<string, PeerInfo>();
  roster: MemberInfo[];

  constructor(
    /** This member's user id (left out of the roster). */
    private readonly myId: string,
    roster: unknown,
  ) {
    this.roster = rosterOf(roster, myId);
  }

  get(peer: string): PeerInfo | undefined {
    return this.peers.get(peer);
  }

  /** A peer's name: this member's own, a linked peer's, a roster member's, or 'someone'. */
  nameOf(peerId: string, me: { peer: string | null; username: string }): string {
    if (peerId === me.peer) return me.username;
    return this.peers.get(peerId)?.username ?? this.roster.find((m) => m.peer_id === peerId)?.username ?? 'someone';
  }

  /** The linked peers, as a hello introduces them to another. */
  linked(): MemberInfo[] {
    const members: MemberInfo[] = [];
    for (const [peer_id, info] of this.peers) if (info.linked) members.push({ peer_id, user_id: info.user_id, username: info.username });
    return members;
  }

  /** Some link of this user is up. */
  userLinked(userId: string): boolean {
    return [...this.peers.values()].some((p) => p.user_id === userId && p.linked);
  }

  /** A link came up: the peer is known from then on (by the roster's name until its hello). */
  linkUp(remote: string): void {
    let info = this.peers.get(remote);
    if (!info) {
      const r = this.roster.find((m) => m.peer_id === remote);
      info = { user_id: r?.user_id ?? '', username: r?.username ?? 'someone', linked: true, voice: null, goneTimer: null };
      this.peers.set(remote, info);
    }
    info.linked = true;
    if (info.goneTimer) clearTimeout(info.goneTimer);
    info.goneTimer = null;
  }

  /** A link went down: `gone` is called unless it comes back up in time. */
  linkDown(remote: string, gone: () => void): void {
    const info = this.peers.get(remote);
    if (!info) return;
    info.linked = false;
    if (!info.goneTimer) info.goneTimer = setTimeout(gone, GONE_AFTER_MS);
  }

  /** Forgets a peer; returns what was known of it, or undefined. */
  remove(remote: string): PeerInfo | undefined {
    const info = this.peers.get(remote);
    if (!info) return undefined;
    if (info.goneTimer) clearTimeout(info.goneTimer);
    this.peers.delete(remote);
    return info;
  }

  /**
   * A peer introduced itself. The same member under an older peer id (it reconnected with a new one) is
   * forgotten, `replaced` told of each. `fresh`: the peer had not introduced itself before;
   * `knownBefore`: its member was known under another peer id.
   */
  introduce(remote: string, msg: HelloWire, replaced: (peer: string) => void): { info: PeerInfo; fresh: boolean; knownBefore: boolean } {
    const fresh = !this.peers.get(remote)?.user_id;
    const username = typeof msg.username === 'string' && msg.username ? msg.username.slice(0, 64) : 'someone';
    const info: PeerInfo = this.peers.get(remote) ?? { user_id: '', username, linked: true, voice: null, goneTimer: null };
    const knownBefore = [...this.peers.entries()].some(([p, i]) => p !== remote && i.user_id === msg.user_id);
    info.user_id = msg.user_id;
    info.username = username;
    info.voice = msg.voice && typeof msg.voice.on === 'boolean' ? { on: msg.voice.on, muted: Boolean(msg.voice.muted) } : null;
    this.peers.set(remote, info);
    for (const [p, i] of [...this.peers.entries()]) {
      if (p !== remote && i.user_id === msg.user_id) {
        this.peers.delete(p);
        if (i.goneTimer) clearTimeout(i.goneTimer);
        replaced(p);
      }
    }
    return { info, fresh, knownBefore };
  }

  /** The room service's member list replaces the roster; returns the peer ids it had before. */
  setRoster(members: unknown): Set<string> {
    const before = new Set(this.roster.map((m) => m.peer_id));
    this.roster = rosterOf(members, this.myId);
    return before;
  }

  /** The peer ids of the other members in a list a peer sent (its hello or roster), malformed entries left out. */
  otherPeersIn(list: readonly MemberInfo[]): string[] {
    return list.filter((m) => isMemberInfo(m) && m.user_id !== this.myId).map((m) => m.peer_id);
  }

  rosterPeers(): string[] {
    return this.roster.map((m) => m.peer_id);
  }

  /** Stops the timers of peers whose link is down. */
  stop(): void {
    this.peers.forEach((p) => p.goneTimer && clearTimeout(p.goneTimer));
  }
}
