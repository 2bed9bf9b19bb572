/**
 * One member's real-time session in a room: clock, sync engine, mesh, chat and voice wired
 * together and to the page's <video>. The React component only renders its snapshot.
 */
import { defaultApi, icePolicyOf, peerConfigOf, type JoinRoomResponse, type RealtimeApi, type RoomStateAnswer } from './api';
import { ChatLog, parseLine, type ChatLine } from './chat/chat';
import { bindMediaEvents, DomMedia, Ducker } from './media';
import { Mesh, type MeshOptions, type MeshStatus } from './mesh/mesh';
import { isMemberInfo, PROTOCOL_VERSION, type HelloWire, type MemberInfo, type VoiceStatus, type WireMessage } from './protocol';
import { ClockSync } from './sync/clock';
import { SyncEngine, type CommandOrigin, type EngineStats } from './sync/engine';
import { positionAt } from './sync/state';
import type { SyncCommand, SyncState, Timers } from './sync/types';
import { SELF, Voice } from './voice/voice';

export interface Me {
  id: string;
  username: string;
}

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
  locked: boolean;
  hostId: string | null;
  canControl: boolean;
  needsGesture: boolean;
  voice: VoiceView;
  duck: boolean;
  driftMs: number;
  holding: boolean;
  waitingFor: string[];
}

export interface SessionDeps {
  api?: RealtimeApi;
  mesh?: (options: MeshOptions) => Mesh;
  heartbeatMs?: number;
}

interface PeerInfo {
  user_id: string;
  username: string;
  linked: boolean;
  voice: VoiceStatus | null;
  goneTimer: ReturnType<typeof setTimeout> | null;
}

const windowTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** How long a playback report to the room service waits behind the command it reports (ms). */
const REPORT_DELAY_MS = 300;

const localClock = { now: (): number => performance.timeOrigin + performance.now() };

function fmtTime(s: number): string {
  const t = Math.max(0, Math.floor(s));
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const sec = t % 60;
  const mm = h > 0 ? String(m).padStart(2, '0') : String(m);
  return `${h > 0 ? `${h}:` : ''}${mm}:${String(sec).padStart(2, '0')}`;
}

export interface SyncDebug {
  readonly drift: number;
  readonly offset: number;
  readonly rtt: number;
  readonly correctiveSeeks: number;
  readonly lastCommand: EngineStats['lastCommand'];
  readonly peerId: string | null;
  readonly links: string[];
  readonly status: MeshStatus;
  readonly state: SyncState;
  stats(): EngineStats & { offsetMs: number; rttMs: number };
  driftSamples(): readonly number[];
  expectedPosition(): number;
  serverNow(): number;
  chat(): readonly ChatLine[];
  voice(): VoiceView & { connected: string[]; speaking: string[] };
  bytesReceived(): Promise<Record<string, number>>;
  play(): boolean;
  pause(): boolean;
  seek(position: number): boolean;
}

declare global {
  interface Window {
    __flmnchllSync?: SyncDebug;
  }
}

export class RealtimeSession {
  readonly room: JoinRoomResponse;
  readonly me: Me;
  readonly chat = new ChatLog();
  readonly engine: SyncEngine;
  readonly clock: ClockSync;
  readonly mesh: Mesh;
  readonly voice: Voice;
  private readonly api: RealtimeApi;
  private readonly ducker = new Ducker();
  private peers = new Map<string, PeerInfo>();
  private roster: MemberInfo[] = [];
  private hostId: string | null;
  private locked: boolean;
  private contentId: string | null;
  private video: HTMLVideoElement | null = null;
  private unbindVideo: (() => void) | null = null;
  private heartbeatTimer: ReturnType<typeof setInterval> | null = null;
  private listeners = new Set<() => void>();
  private snapshot: SessionSnapshot;
  private started = false;
  private startedAt = 0;
  private needsGesture = false;
  private duckEnabled = true;
  private statusDetail: string | null = null;
  private heartbeatMs: number;
  private emitQueued = false;
  private renewing: Promise<void> | null = null;
  private lastStatus: MeshStatus = 'offline';
  private reports = new Set<{ send: () => void; timer: ReturnType<typeof setTimeout> | null }>();

  constructor(room: JoinRoomResponse, me: Me, deps: SessionDeps = {}) {
    this.room = room;
    this.me = me;
    this.api = deps.api ?? defaultApi;
    this.heartbeatMs = deps.heartbeatMs ?? 5000;
    this.hostId = room.host_id ?? null;
    this.locked = Boolean(room.locked);
    this.contentId = room.content_id ?? null;
    this.clock = new ClockSync((t0) => this.api.clock(t0), localClock, windowTimers, { burst: 6, intervalMs: 30_000 });
    const peerId = room.peer.peer_id ?? `${room.id}-${me.id}`;
    this.mesh = (deps.mesh ?? ((o: MeshOptions) => new Mesh(o)))({
      server: peerConfigOf(room),
      iceServers: (room.ice_servers ?? []) as RTCIceServer[],
      iceTransportPolicy: icePolicyOf(room),
      renew: async () => peerConfigOf(await this.api.join(this.room.id)),
    });
    this.engine = new SyncEngine({
      clock: this.clock,
      timers: windowTimers,
      transport: { broadcast: (m) => void this.mesh.broadcast(m) },
      self: { peer: peerId, user: me.id, name: me.username },
      hostUser: this.hostId,
      locked: this.locked,
    });
    this.engine.content = this.contentId;
    this.voice = new Voice({
      getPeer: () => this.mesh.current,
      announce: (status) => void this.mesh.broadcast({ type: 'voice', on: status.on, muted: status.muted }),
    });
    this.roster = this.rosterOf(room.members);
    this.snapshot = this.build();
  }

  // ------------------------------------------------------------------ lifecycle

  start(): void {
    if (this.started) return;
    this.started = true;
    this.startedAt = Date.now();
    this.engine.setListeners({
      onCommand: (cmd, origin) => this.onCommand(cmd, origin),
      onAutoplayBlocked: () => {
        this.needsGesture = true;
        this.emit();
      },
      onRejected: () => {
        this.chat.system('Playback is locked by the host.', this.clock.now());
      },
      onDropped: (peers) => {
        const names = peers.map((p) => this.nameOf(p)).join(', ');
        this.chat.system(`Not waiting any longer for ${names}.`, this.clock.now());
      },
      onBuffering: () => this.emit(),
      onChange: () => this.emit(),
    });
    this.engine.adoptServer(this.room.playback ?? null);
    this.chat.subscribe(() => this.emit());
    this.voice.subscribe(() => {
      this.ducker.duck(this.duckEnabled && [...this.voice.speaking].some((p) => p !== SELF));
      this.emit();
    });
    this.mesh.setEvents({
      onStatus: (status, detail) => {
        this.statusDetail = detail ?? null;
        if (status === 'reconnecting' && this.lastStatus === 'online') {
          this.chat.system('Connection lost, reconnecting…', this.clock.now());
        }
        this.lastStatus = status;
        this.emit();
      },
      onReady: (peerId, previous) => {
        this.engine.setPeerId(peerId);
        if (previous !== null) {
          this.chat.system('Reconnected.', this.clock.now());
          this.voice.relink();
        }
        this.mesh.setMembers(this.roster.map((m) => m.peer_id));
        this.emit();
      },
      onLink: (remote, up) => this.onLink(remote, up),
      onMessage: (msg, remote) => this.onMessage(msg, remote),
      onRtt: (_remote, rtt) => this.engine.notePeerRtt(rtt),
      onCall: (call) => this.voice.onCall(call),
    });
    void this.clock.start();
    this.engine.start();
    this.mesh.start();
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), this.heartbeatMs);
    void this.heartbeat();
    this.installDebug();
    this.emit();
  }

  stop(): void {
    if (!this.started) return;
    this.started = false;
    if (this.heartbeatTimer !== null) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
    this.flushReports();
    this.voice.destroy();
    this.mesh.stop();
    this.engine.stop();
    this.clock.stop();
    this.setVideo(null);
    this.peers.forEach((p) => p.goneTimer && clearTimeout(p.goneTimer));
    if (typeof window !== 'undefined' && window.__flmnchllSync && this.debug && window.__flmnchllSync === this.debug) {
      delete window.__flmnchllSync;
    }
    this.listeners.clear();
  }

  /** The page re-joined (new peer id or token): re-register without losing chat or state. */
  updateJoin(room: JoinRoomResponse): void {
    const cfg = peerConfigOf(room);
    if (cfg.peer_id && cfg.peer_id !== this.mesh.id) this.mesh.replaceServer(cfg);
    this.applyRoomState(room);
  }

  setVideo(video: HTMLVideoElement | null): void {
    if (video === this.video) return;
    this.unbindVideo?.();
    this.unbindVideo = null;
    this.video = video;
    this.ducker.attach(video);
    if (!video) {
      this.engine.setMedia(null);
      return;
    }
    const media = new DomMedia(video);
    this.unbindVideo = bindMediaEvents(video, (kind) => this.engine.handleMediaEvent(kind));
    this.engine.setMedia(media);
    // a new player usually means new content: ask the room service now
    if (this.started) void this.heartbeat();
  }

  // ------------------------------------------------------------------ store for React

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  getSnapshot = (): SessionSnapshot => this.snapshot;

  private emit(): void {
    if (this.emitQueued) return;
    this.emitQueued = true;
    // after the media events this change causes: rendering must not delay them
    setTimeout(() => {
      this.emitQueued = false;
      this.snapshot = this.build();
      this.listeners.forEach((l) => l());
    }, 16);
  }

  private build(): SessionSnapshot {
    const members: MemberView[] = [];
    const seen = new Set<string>();
    const waiting = new Set(this.engine.stats().waitingFor);
    const selfPeer = this.mesh.id;
    members.push({
      peer_id: selfPeer,
      user_id: this.me.id,
      username: this.me.username,
      self: true,
      linked: this.mesh.status === 'online',
      voice: this.voice.joined ? this.voice.status : null,
      speaking: this.voice.speaking.has(SELF),
      buffering: selfPeer !== null && waiting.has(selfPeer),
      host: this.me.id === this.hostId,
    });
    seen.add(this.me.id);
    for (const [peerId, info] of this.peers) {
      if (seen.has(info.user_id)) continue;
      seen.add(info.user_id);
      members.push({
        peer_id: peerId,
        user_id: info.user_id,
        username: info.username,
        self: false,
        linked: info.linked,
        voice: info.voice,
        speaking: this.voice.speaking.has(peerId),
        buffering: waiting.has(peerId),
        host: info.user_id === this.hostId,
      });
    }
    for (const m of this.roster) {
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
        host: m.user_id === this.hostId,
      });
    }
    const st = this.engine.stats();
    return {
      status: this.mesh.status,
      statusDetail: this.statusDetail,
      members,
      chat: [...this.chat.all],
      locked: this.locked,
      hostId: this.hostId,
      canControl: this.engine.canControl(this.me.id),
      needsGesture: this.needsGesture,
      voice: {
        joined: this.voice.joined,
        joining: this.voice.joining,
        muted: this.voice.muted,
        pushToTalk: this.voice.pushToTalk,
        talking: this.voice.talking,
        transmitting: this.voice.transmitting,
        error: this.voice.error,
      },
      duck: this.duckEnabled,
      driftMs: st.driftMs,
      holding: st.holding,
      waitingFor: st.waitingFor.map((p) => this.nameOf(p)),
    };
  }

  // ------------------------------------------------------------------ actions from the panel

  sendChat(raw: string): boolean {
    const line = this.chat.compose(this.me.id, this.me.username, raw, this.clock.now());
    if (!line) return false;
    this.mesh.broadcast({ type: 'chat', line });
    return true;
  }

  joinVoice(): Promise<void> {
    return this.voice.join();
  }

  leaveVoice(): void {
    this.voice.leave();
  }

  setMuted(muted: boolean): void {
    this.voice.setMuted(muted);
  }

  setPushToTalk(on: boolean): void {
    this.voice.setPushToTalk(on);
  }

  setTalking(down: boolean): void {
    this.voice.setTalking(down);
  }

  setDuck(on: boolean): void {
    this.duckEnabled = on;
    this.ducker.duck(on && [...this.voice.speaking].some((p) => p !== SELF));
    this.emit();
  }

  /** Called from a click when the browser refused to start playback without one. */
  startPlayback(): void {
    this.needsGesture = false;
    const v = this.video;
    if (v && this.engine.state.playing && v.paused) void v.play().catch(() => undefined);
    this.emit();
  }

  // ------------------------------------------------------------------ mesh

  private nameOf(peerId: string): string {
    if (peerId === this.mesh.id) return this.me.username;
    return this.peers.get(peerId)?.username ?? this.roster.find((m) => m.peer_id === peerId)?.username ?? 'someone';
  }

  private hello(): HelloWire {
    const members: MemberInfo[] = [];
    for (const [peer_id, info] of this.peers) if (info.linked) members.push({ peer_id, user_id: info.user_id, username: info.username });
    return {
      type: 'hello',
      v: PROTOCOL_VERSION,
      peer_id: this.mesh.id ?? '',
      user_id: this.me.id,
      username: this.me.username,
      state: this.engine.helloState(),
      chat: this.chat.history(),
      voice: this.voice.status,
      buffering: this.engine.stats().buffering,
      members,
      locked: this.locked,
      host_id: this.hostId,
    };
  }

  private onLink(remote: string, up: boolean): void {
    let info = this.peers.get(remote);
    if (up) {
      if (!info) {
        const r = this.roster.find((m) => m.peer_id === remote);
        info = { user_id: r?.user_id ?? '', username: r?.username ?? 'someone', linked: true, voice: null, goneTimer: null };
        this.peers.set(remote, info);
      }
      info.linked = true;
      if (info.goneTimer) clearTimeout(info.goneTimer);
      info.goneTimer = null;
      this.mesh.send(remote, this.hello());
    } else if (info) {
      info.linked = false;
      if (!info.goneTimer) info.goneTimer = setTimeout(() => this.gone(remote, false), 8000);
    }
    this.emit();
  }

  private gone(remote: string, said: boolean): void {
    const info = this.peers.get(remote);
    if (!info) return;
    if (info.goneTimer) clearTimeout(info.goneTimer);
    this.peers.delete(remote);
    this.engine.peerGone(remote);
    this.voice.peerGone(remote);
    if (said) this.mesh.disconnect(remote);
    const stillHere = [...this.peers.values()].some((p) => p.user_id === info.user_id && p.linked);
    if (!stillHere && info.user_id) this.chat.system(`${info.username} left.`, this.clock.now());
    this.emit();
  }

  private onMessage(msg: WireMessage, remote: string): void {
    switch (msg.type) {
      case 'cmd':
      case 'state':
      case 'buffering':
        this.engine.receive(msg, remote);
        return;
      case 'hello':
        this.onHello(msg, remote);
        return;
      case 'roster':
        this.mesh.setMembers(msg.members.filter((m) => isMemberInfo(m) && m.user_id !== this.me.id).map((m) => m.peer_id));
        return;
      case 'chat': {
        const line = parseLine(msg.line);
        if (!line) return;
        const info = this.peers.get(remote);
        // the name is the one the sender introduced itself with, not what the line claims
        if (info && info.user_id) {
          line.user_id = info.user_id;
          line.name = info.username;
        }
        this.chat.add(line);
        return;
      }
      case 'voice': {
        const info = this.peers.get(remote);
        if (info) info.voice = { on: msg.on, muted: msg.muted };
        this.voice.onStatus(remote, { on: msg.on, muted: msg.muted });
        this.emit();
        return;
      }
      case 'room': {
        const info = this.peers.get(remote);
        if (info && info.user_id && info.user_id === this.hostId) {
          this.setLock(msg.locked, msg.host_id ?? this.hostId);
        }
        return;
      }
      case 'bye':
        this.gone(remote, true);
        return;
      default:
        return;
    }
  }

  private onHello(msg: HelloWire, remote: string): void {
    const fresh = !this.peers.get(remote)?.user_id;
    const username = typeof msg.username === 'string' && msg.username ? msg.username.slice(0, 64) : 'someone';
    const info: PeerInfo = this.peers.get(remote) ?? { user_id: '', username, linked: true, voice: null, goneTimer: null };
    const knownBefore = [...this.peers.entries()].some(([p, i]) => p !== remote && i.user_id === msg.user_id);
    info.user_id = msg.user_id;
    info.username = username;
    info.voice = msg.voice && typeof msg.voice.on === 'boolean' ? { on: msg.voice.on, muted: Boolean(msg.voice.muted) } : null;
    this.peers.set(remote, info);
    // the same member under an older peer id (it reconnected with a new one): that one is gone
    for (const [p, i] of [...this.peers.entries()]) {
      if (p !== remote && i.user_id === msg.user_id) {
        this.peers.delete(p);
        if (i.goneTimer) clearTimeout(i.goneTimer);
        this.engine.peerGone(p);
        this.voice.peerGone(p);
        this.mesh.disconnect(p);
      }
    }
    if (msg.state) this.engine.receiveState(msg.state, remote);
    this.chat.merge(msg.chat);
    if (info.voice) this.voice.onStatus(remote, info.voice);
    this.mesh.setMembers(msg.members.filter((m) => isMemberInfo(m) && m.user_id !== this.me.id).map((m) => m.peer_id));
    if (fresh && !knownBefore && Date.now() - this.startedAt > 4000) {
      this.chat.system(`${username} joined.`, this.clock.now());
    }
    this.emit();
  }

  // ------------------------------------------------------------------ commands → chat lines and the room service

  private coordinator(): boolean {
    const mine = this.mesh.id ?? '';
    return this.mesh.linked.every((p) => mine < p);
  }

  private onCommand(cmd: SyncCommand, origin: CommandOrigin): void {
    const now = this.clock.now();
    const who = origin === 'local' ? this.me.username : cmd.name || this.nameOf(cmd.peer);
    const at = fmtTime(cmd.state.position);
    switch (cmd.action) {
      case 'play':
        this.chat.system(`${who} played at ${at}.`, now);
        break;
      case 'pause':
        this.chat.system(`${who} paused at ${at}.`, now);
        break;
      case 'seek':
        this.chat.system(`${who} jumped to ${at}.`, now);
        break;
      case 'rate':
        this.chat.system(`${who} set the speed to ${cmd.state.rate}×.`, now);
        break;
      case 'hold':
        this.chat.system(`Paused: waiting for ${this.nameOf(cmd.peer)} to load.`, now);
        break;
      case 'resume':
        this.chat.system('Everyone is ready: playing again.', now);
        break;
      default:
        break;
    }
    if (cmd.action === 'state') return;
    const report = origin === 'local' || (origin === 'derived' && (cmd.action === 'hold' || cmd.action === 'resume') && this.coordinator());
    if (!report) return;
    const action = cmd.action === 'hold' ? 'pause' : cmd.action === 'resume' || cmd.action === 'restamp' ? 'play' : cmd.action;
    if (action !== 'play' && action !== 'pause' && action !== 'seek' && action !== 'rate') return;
    const body = { action, position: Math.max(0, cmd.state.position), rate: cmd.state.rate, at: cmd.state.at };
    this.report(() => void this.api.playback(this.room.id, body).catch(() => undefined));
  }

  /**
   * Tells the room service a moment after the peers: its record is for late joiners and recovery, and
   * its request (and the service's work on it) should not compete with the peers acting on the command.
   * Reports keep their order; the ones still waiting go out at once when the session stops.
   */
  private report(send: () => void): void {
    const entry = { send, timer: null as ReturnType<typeof setTimeout> | null };
    entry.timer = setTimeout(() => {
      this.reports.delete(entry);
      send();
    }, REPORT_DELAY_MS);
    this.reports.add(entry);
  }

  private flushReports(): void {
    for (const entry of this.reports) {
      if (entry.timer !== null) clearTimeout(entry.timer);
      entry.send();
    }
    this.reports.clear();
  }

  // ------------------------------------------------------------------ room service

  private rosterOf(members: unknown): MemberInfo[] {
    if (!Array.isArray(members)) return [];
    const out: MemberInfo[] = [];
    for (const m of members) {
      if (typeof m !== 'object' || m === null) continue;
      const r = m as Record<string, unknown>;
      if (typeof r.peer_id === 'string' && r.peer_id && typeof r.user_id === 'string' && r.user_id !== this.me.id) {
        out.push({ peer_id: r.peer_id, user_id: r.user_id, username: typeof r.username === 'string' ? r.username : 'someone' });
      }
    }
    return out;
  }

  private setLock(locked: boolean, hostId: string | null): void {
    const changed = locked !== this.locked || hostId !== this.hostId;
    this.locked = locked;
    this.hostId = hostId;
    this.engine.setLock(locked, hostId);
    if (changed) {
      this.chat.system(locked ? 'The host locked playback.' : 'Anyone can control playback.', this.clock.now());
      this.emit();
    }
  }

  private applyRoomState(answer: RoomStateAnswer): void {
    if (Array.isArray(answer.members)) {
      const before = new Set(this.roster.map((m) => m.peer_id));
      this.roster = this.rosterOf(answer.members);
      const now = new Set(this.roster.map((m) => m.peer_id));
      this.mesh.setMembers([...now]);
      this.mesh.forget([...before].filter((p) => !now.has(p) && !this.peers.get(p)?.linked));
    }
    if (typeof answer.locked === 'boolean' || answer.host_id !== undefined) {
      const wasHost = this.hostId === this.me.id;
      const locked = typeof answer.locked === 'boolean' ? answer.locked : this.locked;
      const host = answer.host_id !== undefined ? answer.host_id : this.hostId;
      const changed = locked !== this.locked || host !== this.hostId;
      this.setLock(locked, host);
      if (changed && (wasHost || host === this.me.id)) {
        this.mesh.broadcast({ type: 'room', locked, host_id: host });
      }
    }
    if (answer.content_id !== undefined && answer.content_id !== this.contentId) {
      this.contentId = answer.content_id;
      this.engine.setContent(answer.content_id, answer.playback ?? null);
    }
    this.emit();
  }

  private async heartbeat(): Promise<void> {
    const v = this.video;
    const body = v ? { position: v.currentTime, playing: !v.paused } : {};
    try {
      const answer = await this.api.heartbeat(this.room.id, body);
      if (answer && typeof answer === 'object') this.applyRoomState(answer);
    } catch (err) {
      const status = err && typeof err === 'object' && 'status' in err ? Number((err as { status: unknown }).status) : 0;
      if (status === 409 || status === 404) void this.rejoin();
    }
  }

  /** Dropped from the room (heartbeats lapsed): join again and re-register. */
  private rejoin(): Promise<void> {
    if (this.renewing) return this.renewing;
    this.renewing = (async () => {
      try {
        const room = await this.api.join(this.room.id);
        this.updateJoin(room);
      } catch {
        // the next heartbeat tries again
      } finally {
        this.renewing = null;
      }
    })();
    return this.renewing;
  }

  // ------------------------------------------------------------------ figures for checks and benchmarks

  private debug: SyncDebug | null = null;

  private installDebug(): void {
    if (typeof window === 'undefined') return;
    const engine = this.engine;
    const clock = this.clock;
    const mesh = this.mesh;
    const voice = this.voice;
    const chat = this.chat;
    const voiceView = (): VoiceView => this.build().voice;
    const debug: SyncDebug = {
      get drift() {
        return engine.stats().driftMs;
      },
      get offset() {
        return clock.offset;
      },
      get rtt() {
        return clock.rtt;
      },
      get correctiveSeeks() {
        return engine.stats().correctiveSeeks;
      },
      get lastCommand() {
        return engine.stats().lastCommand;
      },
      get peerId() {
        return mesh.id;
      },
      get links() {
        return mesh.linked;
      },
      get status() {
        return mesh.status;
      },
      get state() {
        return engine.state;
      },
      stats: () => ({ ...engine.stats(), offsetMs: clock.offset, rttMs: clock.rtt }),
      driftSamples: () => [...engine.driftSamples()],
      expectedPosition: () => positionAt(engine.state, clock.now()),
      serverNow: () => clock.now(),
      chat: () => [...chat.all],
      voice: () => ({ ...voiceView(), connected: voice.connected, speaking: [...voice.speaking] }),
      bytesReceived: () => voice.bytesReceived(),
      play: () => engine.play(),
      pause: () => engine.pause(),
      seek: (p: number) => engine.seek(p),
    };
    this.debug = debug;
    window.__flmnchllSync = debug;
  }
}
