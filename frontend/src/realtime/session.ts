/**
 * One member's real-time session in a room: clock, sync engine, mesh, chat and voice wired
 * together and to the page's <video>. The React component only renders its snapshot.
 */
import { defaultApi, icePolicyOf, type JoinRoomResponse, type RealtimeApi, type RoomStateAnswer } from './api';
import { ChatLog, parseLine, type ChatLine } from './chat/chat';
import { commandLine, filmChangeLine, lockLine } from './commandChat';
import { installDebug, removeDebug, type SyncDebug } from './debug';
import { bindMediaEvents, DomMedia, Ducker } from './media';
import { listenToControls } from '../lib/memberControl';
import { setStartPlanner } from '../lib/startPlan';
import { Members } from './members';
import { Mesh, type MeshOptions, type MeshStatus } from './mesh/mesh';
import { PROTOCOL_VERSION, type HelloWire, type WireMessage } from './protocol';
import { RoomService } from './roomService';
import { memberViews, voiceViewOf, type SessionSnapshot } from './snapshot';
import { ClockSync } from './sync/clock';
import { RoomClock } from './sync/roomClock';
import { SyncEngine, type CommandOrigin } from './sync/engine';
import type { SyncCommand, Timers } from './sync/types';
import { SELF, Voice } from './voice/voice';

export type { SyncDebug } from './debug';
export type { MemberView, SessionSnapshot, VoiceView } from './snapshot';

export interface Me {
  id: string;
  username: string;
}

export interface SessionDeps {
  api?: RealtimeApi;
  mesh?: (options: MeshOptions) => Mesh;
  heartbeatMs?: number;
  /** How long the room waits for a member whose film does not load before going on without it (ms). */
  bufferWaitMs?: number;
}

const windowTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** Notices kept for the player (it shows each for a few seconds). */
const MAX_NOTICES = 3;

const localClock = { now: (): number => performance.timeOrigin + performance.now() };

export class RealtimeSession {
  readonly room: JoinRoomResponse;
  readonly me: Me;
  readonly chat = new ChatLog();
  readonly engine: SyncEngine;
  readonly clock: ClockSync;
  readonly roomClock = new RoomClock();
  readonly mesh: Mesh;
  readonly voice: Voice;
  private readonly api: RealtimeApi;
  private readonly ducker = new Ducker();
  private readonly members: Members;
  private hostId: string | null;
  private locked: boolean;
  private contentId: string | null;
  private video: HTMLVideoElement | null = null;
  private unbindVideo: (() => void) | null = null;
  private listeners = new Set<() => void>();
  private snapshot: SessionSnapshot;
  private started = false;
  private startedAt = 0;
  private needsGesture = false;
  private duckEnabled = true;
  private statusDetail: string | null = null;
  private emitQueued = false;
  private lastStatus: MeshStatus = 'offline';
  private readonly service: RoomService;
  private debug: SyncDebug | null = null;
  /** The newest room actions, shown on the player besides their chat lines. */
  private notices: ChatLine[] = [];

  constructor(room: JoinRoomResponse, me: Me, deps: SessionDeps = {}) {
    this.room = room;
    this.me = me;
    this.api = deps.api ?? defaultApi;
    this.hostId = room.host_id ?? null;
    this.locked = Boolean(room.locked);
    this.contentId = room.content_id ?? null;
    this.clock = new ClockSync((t0) => this.api.clock(t0), localClock, windowTimers, { burst: 6, intervalMs: 30_000 });
    const peerId = room.peer.peer_id ?? `${room.id}-${me.id}`;
    this.mesh = (deps.mesh ?? ((o: MeshOptions) => new Mesh(o)))({
      server: room.peer,
      iceServers: (room.ice_servers ?? []) as RTCIceServer[],
      iceTransportPolicy: icePolicyOf(),
      renew: async () => (await this.api.join(this.room.id)).peer,
      clockStamp: () => ({ room: this.clock.now(), local: this.clock.localNow(), quality: this.clockQuality() }),
    });
    this.clock.followRoom(() => this.roomClock.offset(this.mesh.id ?? '', this.clockQuality(), this.mesh.linked));
    this.engine = new SyncEngine({
      clock: this.clock,
      timers: windowTimers,
      transport: { broadcast: (m) => void this.mesh.broadcast(m) },
      self: { peer: peerId, user: me.id, name: me.username },
      hostUser: this.hostId,
      locked: this.locked,
      // the room's bound on waiting for a member that cannot load (the service's, in the join answer)
      buffering: { dropAfterMs: deps.bufferWaitMs ?? (room.buffer_wait_s === undefined ? undefined : room.buffer_wait_s * 1000) },
    });
    this.engine.content = this.contentId;
    this.voice = new Voice({
      getPeer: () => this.mesh.current,
      announce: (status) => void this.mesh.broadcast({ type: 'voice', on: status.on, muted: status.muted }),
    });
    this.service = new RoomService(this.api, room.id, deps.heartbeatMs ?? 5000, {
      position: () => {
        const v = this.video;
        return v ? { position: v.currentTime, playing: !v.paused } : {};
      },
      onState: (answer) => this.applyRoomState(answer),
      onRejoined: (joined) => this.updateJoin(joined),
      onRemoved: () => {
        // the page says so once it is looked at; meanwhile nobody is dialled and no call stays up
        this.voice.destroy();
        this.mesh.stop();
        this.emit();
      },
    });
    this.members = new Members(me.id, room.members);
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
      this.duckWhileOthersSpeak();
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
        this.mesh.setMembers(this.members.rosterPeers());
        this.emit();
      },
      onLink: (remote, up) => this.onLink(remote, up),
      onMessage: (msg, remote) => this.onMessage(msg, remote),
      onRtt: (remote, rtt) => this.engine.notePeerRtt(rtt, remote),
      onPeerTime: (remote, sample) => this.roomClock.addSample(remote, sample),
      onPeerQuality: (remote, quality) => this.roomClock.noteQuality(remote, quality),
      onCall: (call) => this.voice.onCall(call),
    });
    void this.clock.start();
    this.engine.start();
    this.mesh.start();
    this.service.start();
    this.debug = installDebug({
      engine: this.engine,
      clock: this.clock,
      mesh: this.mesh,
      voice: this.voice,
      chat: this.chat,
      voiceView: () => voiceViewOf(this.voice),
      clockSource: () => this.roomClock.source(this.mesh.id ?? '', this.clockQuality(), this.mesh.linked),
    });
    this.emit();
  }

  stop(): void {
    if (!this.started) return;
    this.started = false;
    this.service.stop();
    this.voice.destroy();
    this.mesh.stop();
    this.engine.stop();
    this.clock.stop();
    this.setVideo(null);
    this.members.stop();
    removeDebug(this.debug);
    this.listeners.clear();
  }

  /** The page re-joined (new peer id or token): re-register without losing chat or state. */
  updateJoin(room: JoinRoomResponse): void {
    const cfg = room.peer;
    const otherId = Boolean(cfg.peer_id) && cfg.peer_id !== this.mesh.id;
    const otherServer = cfg.server_index !== undefined && cfg.server_index !== this.mesh.serverIndex;
    if (otherId || otherServer) this.mesh.replaceServer(cfg);
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
    const unbindEvents = bindMediaEvents(video, (kind) => this.engine.handleMediaEvent(kind));
    listenToControls(video, (kind) => this.engine.handleMediaEvent(kind));
    setStartPlanner(video, (readyInS, segmentOf) => this.engine.planStart(readyInS, segmentOf));
    this.unbindVideo = () => {
      unbindEvents();
      listenToControls(video, null);
      setStartPlanner(video, null);
    };
    this.engine.setMedia(media);
    // a new player usually means new content: ask the room service now
    if (this.started) void this.service.heartbeat();
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
    const st = this.engine.stats();
    const members = memberViews({
      me: { peer: this.mesh.id, user_id: this.me.id, username: this.me.username, online: this.mesh.status === 'online' },
      voice: this.voice,
      peers: this.members.peers,
      roster: this.members.roster,
      hostId: this.hostId,
      waiting: new Set(st.waitingFor),
    });
    return {
      status: this.mesh.status,
      statusDetail: this.statusDetail,
      members,
      chat: [...this.chat.all],
      notices: this.notices,
      locked: this.locked,
      hostId: this.hostId,
      canControl: this.engine.canControl(this.me.id),
      needsGesture: this.needsGesture,
      voice: voiceViewOf(this.voice),
      duck: this.duckEnabled,
      driftMs: st.driftMs,
      holding: st.holding,
      waitingFor: st.waitingFor.map((p) => this.nameOf(p)),
      waitingForEncoder: st.waitingForEncoder,
      waitLimitS: Math.round(this.engine.buffering.dropAfterMs / 1000),
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
    this.duckWhileOthersSpeak();
    this.emit();
  }

  /** The film is turned down while another member speaks, unless the member turned that off. */
  private duckWhileOthersSpeak(): void {
    this.ducker.duck(this.duckEnabled && [...this.voice.speaking].some((p) => p !== SELF));
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
    return this.members.nameOf(peerId, { peer: this.mesh.id, username: this.me.username });
  }

  private hello(): HelloWire {
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
      members: this.members.linked(),
      locked: this.locked,
      host_id: this.hostId,
    };
  }

  private onLink(remote: string, up: boolean): void {
    if (up) {
      this.members.linkUp(remote);
      this.engine.peerLinked(remote);
      this.mesh.send(remote, this.hello());
    } else {
      this.members.linkDown(remote, () => this.gone(remote, false));
    }
    this.emit();
  }

  /** How good this member's own clock is: its HTTP estimate's round trip (ms; Infinity before any). */
  private clockQuality(): number {
    const rtt = this.clock.rtt;
    return Number.isFinite(rtt) ? rtt : Number.POSITIVE_INFINITY;
  }

  private gone(remote: string, said: boolean): void {
    this.roomClock.remove(remote);
    const info = this.members.remove(remote);
    if (!info) return;
    this.engine.peerGone(remote);
    this.voice.peerGone(remote);
    if (said) this.mesh.disconnect(remote);
    const stillHere = this.members.userLinked(info.user_id);
    if (!stillHere && info.user_id) this.chat.system(`${info.username} left.`, this.clock.now());
    this.emit();
  }

  private onMessage(msg: WireMessage, remote: string): void {
    switch (msg.type) {
      case 'cmd':
      case 'state':
      case 'buffering':
      case 'edge':
        this.engine.receive(msg, remote);
        return;
      case 'hello':
        this.onHello(msg, remote);
        return;
      case 'roster':
        this.mesh.setMembers(this.members.otherPeersIn(msg.members));
        return;
      case 'chat': {
        const line = parseLine(msg.line);
        if (!line) return;
        const info = this.members.get(remote);
        // the name is the one the sender introduced itself with, not what the line claims
        if (info && info.user_id) {
          line.user_id = info.user_id;
          line.name = info.username;
        }
        this.chat.add(line);
        return;
      }
      case 'voice': {
        const info = this.members.get(remote);
        if (info) info.voice = { on: msg.on, muted: msg.muted };
        this.voice.onStatus(remote, { on: msg.on, muted: msg.muted });
        this.emit();
        return;
      }
      case 'room': {
        const info = this.members.get(remote);
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
    const { info, fresh, knownBefore } = this.members.introduce(remote, msg, (p) => {
      this.engine.peerGone(p);
      this.voice.peerGone(p);
      this.mesh.disconnect(p);
    });
    if (msg.state) this.engine.receiveState(msg.state, remote);
    this.chat.merge(msg.chat);
    if (info.voice) this.voice.onStatus(remote, info.voice);
    this.mesh.setMembers(this.members.otherPeersIn(msg.members));
    if (fresh && !knownBefore && Date.now() - this.startedAt > 4000) {
      this.chat.system(`${info.username} joined.`, this.clock.now());
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
    const line = commandLine(cmd, who, (peer) => this.nameOf(peer));
    // a member knows what they did themselves: their own commands are chat lines only, unless the film's
    // encoded edge changed what they asked for
    if (line !== null) this.roomEvent(line, now, origin !== 'local' || cmd.edge === true);
    if (cmd.action === 'state') return;
    const report = origin === 'local' || (origin === 'derived' && (cmd.action === 'hold' || cmd.action === 'resume') && this.coordinator());
    if (!report) return;
    this.service.reportPlayback(cmd);
  }

  /** A room action: a chat line, and a notice on the player unless `notice` is false. */
  private roomEvent(text: string, ts: number, notice = true): void {
    const line = this.chat.system(text, ts);
    if (!notice) return;
    this.notices = [...this.notices, line].slice(-MAX_NOTICES);
    this.emit();
  }

  // ------------------------------------------------------------------ room service

  private setLock(locked: boolean, hostId: string | null): void {
    const changed = locked !== this.locked || hostId !== this.hostId;
    this.locked = locked;
    this.hostId = hostId;
    this.engine.setLock(locked, hostId);
    if (changed) {
      this.roomEvent(lockLine(locked), this.clock.now());
    }
  }

  private applyRoomState(answer: RoomStateAnswer): void {
    if (Array.isArray(answer.removed_peers)) {
      const cut = this.mesh.refuse(answer.removed_peers.filter((p): p is string => typeof p === 'string'));
      // gone at once, their voice call included, not after the grace a dropped link gets to come back
      for (const remote of cut) this.gone(remote, false);
    }
    const here = this.mesh.serverIndex;
    if (typeof answer.peer_server === 'number' && here !== null && answer.peer_server !== here) {
      // the room moved to another signalling server (its own stopped answering): members still on the old one
      // would never meet those who join now, so join again and follow it
      void this.service.joinAgain();
    }
    if (Array.isArray(answer.members)) {
      const before = this.members.setRoster(answer.members);
      const now = new Set(this.members.rosterPeers());
      this.mesh.setMembers([...now]);
      this.mesh.forget([...before].filter((p) => !now.has(p) && !this.members.get(p)?.linked));
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
      if (answer.content_id !== null) this.roomEvent(filmChangeLine(answer.playback ?? null), this.clock.now());
    }
    this.emit();
  }
}
