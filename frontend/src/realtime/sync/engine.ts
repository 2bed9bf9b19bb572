import { BufferingCoordinator, type BufferingEffect, type BufferingOptions } from './buffering';
import { DriftController, type DriftControllerOptions } from './controller';
import { clampToDuration, fromServerPlayback, isNewer, positionAt, Window, type ServerPlayback } from './state';
import {
  HAVE_FUTURE_DATA,
  type CommandAction,
  type MediaEventKind,
  type MediaLike,
  type ServerClock,
  type SyncCommand,
  type SyncState,
  type SyncTransport,
  type SyncWire,
  type TimerHandle,
  type Timers,
} from './types';

export interface EngineIdentity {
  peer: string;
  user: string;
  name: string;
}

export interface EngineOptions {
  clock: ServerClock;
  timers: Timers;
  transport: SyncTransport;
  self: EngineIdentity;
  media?: MediaLike | null;
  /** Period of the steady-state loop (ms). */
  tickMs?: number;
  /** Lead of commands issued through the API: 2×p95 one-way delay within [floor, max] (ms). */
  leadFloorMs?: number;
  leadMaxMs?: number;
  /** A stall shorter than this is not worth telling the room about (ms). */
  stallReportMs?: number;
  /** Seconds buffered ahead before a stalled peer calls itself ready. */
  readyAheadS?: number;
  /** While paused, re-align the position when it differs by more than this (s). */
  pausedTolerance?: number;
  /** A command moving a playing timeline re-seeks when the media is further than this (s). */
  commandSeekThreshold?: number;
  /** A paused media ready to play starts at once (no seek) when within this of the timeline (s). */
  playTolerance?: number;
  /** A paused media ready to play and at most this far ahead of the timeline waits in place (s). */
  waitAheadMax?: number;
  /** After a play/seek, drift is not measured for this long (ms). */
  settleMs?: number;
  /** The issuer of a play restamps the timeline when its media is further off than this once moving (s). */
  restampMin?: number;
  /** Initial estimate of how long a seek takes (s); learnt from the media's seeked events. */
  seekLatencyS?: number;
  /** Initial estimate of how long play() takes to actually start (s); learnt from playing events. */
  playLatencyS?: number;
  /** Interval of the state gossip that repairs lost messages (ms; 0 = off). */
  gossipMs?: number;
  controller?: DriftControllerOptions;
  buffering?: BufferingOptions;
  hostUser?: string | null;
  locked?: boolean;
}

export type CommandOrigin = 'local' | 'remote' | 'derived';

export interface CommandTiming {
  id: string;
  action: CommandAction;
  by: string;
  origin: CommandOrigin;
  issued: number;
  at: number;
  received: number;
  applied: number | null;
  /** received − issued (server ms): one-way propagation as this peer measured it. */
  delayMs: number;
}

export interface EngineListeners {
  onCommand?: (cmd: SyncCommand, origin: CommandOrigin) => void;
  onRejected?: (reason: 'locked', action: CommandAction) => void;
  onBuffering?: (peer: string, on: boolean) => void;
  onDropped?: (peers: string[]) => void;
  onAutoplayBlocked?: () => void;
  onChange?: () => void;
}

export interface EngineStats {
  offsetMs: number;
  driftMs: number;
  driftP50Ms: number;
  driftP95Ms: number;
  correctiveSeeks: number;
  commandSeeks: number;
  leadMs: number;
  oneWayP95Ms: number;
  propagationP50Ms: number;
  propagationP95Ms: number;
  lastCommand: CommandTiming | null;
  seekLatencyMs: number;
  playLatencyMs: number;
  correcting: boolean;
  rate: number;
  buffering: boolean;
  waitingFor: string[];
  holding: boolean;
}

interface Expect {
  count: number;
  until: number;
}

const EXPECT_MS = 1500;
/** How long after a pause the paused media is seeked onto the paused position (ms): off it, or on it. */
const ALIGN_DELAY_MS = 30;
const ANCHOR_DELAY_MS = 150;

let idCounter = 0;
function newId(peer: string): string {
  idCounter += 1;
  return `${peer}:${Date.now().toString(36)}:${idCounter.toString(36)}:${Math.random().toString(36).slice(2, 7)}`;
}

/**
 * The sync engine: keeps this peer's media on the room's timeline, turns the member's own media
 * actions into room commands, and runs the buffering protocol. Clock, timers, media and transport
 * are injected, so it runs without a browser.
 */
export class SyncEngine {
  self: EngineIdentity;
  readonly controller: DriftController;
  readonly buffering: BufferingCoordinator;
  private readonly clock: ServerClock;
  private readonly timers: Timers;
  private readonly transport: SyncTransport;
  private media: MediaLike | null;
  private readonly opts: Required<
    Pick<
      EngineOptions,
      | 'tickMs'
      | 'leadFloorMs'
      | 'leadMaxMs'
      | 'stallReportMs'
      | 'readyAheadS'
      | 'pausedTolerance'
      | 'commandSeekThreshold'
      | 'playTolerance'
      | 'waitAheadMax'
      | 'settleMs'
      | 'restampMin'
      | 'gossipMs'
    >
  >;
  private listeners: EngineListeners = {};

  private target: SyncState = { playing: false, position: 0, at: 0, rate: 1, id: '' };
  private lastAction: CommandAction = 'state';
  /** The target came from the room function, not a peer: any peer's state replaces it. */
  private weak = true;
  private future: SyncCommand[] = [];
  private futureTimer: TimerHandle | null = null;
  private tickTimer: TimerHandle | null = null;
  private startTimer: TimerHandle | null = null;
  private running = false;
  private lastGossip = 0;

  hostUser: string | null;
  locked: boolean;
  /** The film the room watches (null: unknown, accept any). */
  content: string | null = null;

  // media bookkeeping: what the engine itself did, so the resulting events are not taken for the member's
  private expectPlay: Expect = { count: 0, until: 0 };
  private expectPause: Expect = { count: 0, until: 0 };
  private pendingSeeks: { position: number; until: number }[] = [];
  private lastRateSet: number | null = null;
  private alignedFor: string | null = null;
  private settleUntil = 0;
  private startWait: { position: number; lead: number; first: number } | null = null;
  /** Until the media first plays on the timeline (a late joiner loading does not hold the room). */
  private joining = true;
  private lastPlayAttempt = 0;
  private pausedSince: number | null = null;
  private seekLatencyS: number;
  private playLatencyS: number;
  private ownSeekAt: number | null = null;
  private ownPlayAt: number | null = null;
  /** Media position minus the timeline when play() was last called (s): the head start it was given. */
  private ownPlayGap = 0;
  /** A restart's seek is under way: the media is paused when it reports seeking (see restartAt). */
  private holdOnSeeking = false;
  /** The play this peer's member issued, until its media is seen moving (then it may be restamped). */
  private restampFor: string | null = null;
  /** No start seen yet since the media (or the film) changed: the first one is slow and not learnt from. */
  private coldStart = true;

  // buffering
  private stalledSince: number | null = null;
  private localBuffering = false;

  // figures
  private lastDrift = Number.NaN;
  private drifts = new Window(600);
  private oneWay = new Window(200);
  private propagation = new Window(200);
  private lastCommand: CommandTiming | null = null;
  private commandSeeks = 0;

  constructor(options: EngineOptions) {
    this.clock = options.clock;
    this.timers = options.timers;
    this.transport = options.transport;
    this.self = options.self;
    this.media = options.media ?? null;
    this.controller = new DriftController(options.controller);
    this.buffering = new BufferingCoordinator(options.buffering);
    this.hostUser = options.hostUser ?? null;
    this.locked = options.locked ?? false;
    this.seekLatencyS = options.seekLatencyS ?? 0.15;
    this.playLatencyS = options.playLatencyS ?? 0.03;
    this.opts = {
      tickMs: options.tickMs ?? 100,
      leadFloorMs: options.leadFloorMs ?? 60,
      leadMaxMs: options.leadMaxMs ?? 1000,
      stallReportMs: options.stallReportMs ?? 400,
      readyAheadS: options.readyAheadS ?? 2,
      pausedTolerance: options.pausedTolerance ?? 0.004,
      commandSeekThreshold: options.commandSeekThreshold ?? 0.08,
      playTolerance: options.playTolerance ?? 0.15,
      waitAheadMax: options.waitAheadMax ?? 1,
      settleMs: options.settleMs ?? 350,
      restampMin: options.restampMin ?? 0.025,
      gossipMs: options.gossipMs ?? 10_000,
    };
  }

  // ---------------------------------------------------------------- setup

  setListeners(listeners: EngineListeners): void {
    this.listeners = listeners;
  }

  /** Attach (or detach with null) the media element; it is brought onto the timeline at once. */
  setMedia(media: MediaLike | null): void {
    this.media = media;
    this.alignedFor = null;
    this.startWait = null;
    this.holdOnSeeking = false;
    this.joining = true;
    this.coldStart = true;
    this.controller.reset();
    if (media) this.apply(true);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    const loop = (): void => {
      if (!this.running) return;
      this.tick();
      this.tickTimer = this.timers.setTimeout(loop, this.opts.tickMs);
    };
    this.tickTimer = this.timers.setTimeout(loop, this.opts.tickMs);
    this.apply(true);
  }

  stop(): void {
    this.running = false;
    for (const t of [this.tickTimer, this.futureTimer, this.startTimer]) if (t !== null) this.timers.clearTimeout(t);
    this.tickTimer = this.futureTimer = this.startTimer = null;
  }

  // ---------------------------------------------------------------- state access

  /** The timeline in force (what the room agreed on, as far as this peer knows). */
  get state(): SyncState {
    return { ...this.target };
  }

  /** Where the room's timeline is now (s). */
  expectedPosition(now: number = this.clock.now()): number {
    return clampToDuration(positionAt(this.target, now), this.media?.duration ?? Number.NaN);
  }

  /** The room moved to another film: its timeline starts from the room function's playback. */
  setContent(content: string | null, playback: ServerPlayback | null | undefined): void {
    if (content === this.content) return;
    this.content = content;
    this.joining = true;
    this.coldStart = true;
    this.adoptServer(playback, true);
  }

  private otherContent(state: SyncState): boolean {
    const c = state.content ?? null;
    return c !== null && this.content !== null && c !== this.content;
  }

  /** Our peer id changed (the mesh re-registered with a fresh one). */
  setPeerId(peer: string): void {
    this.self = { ...this.self, peer };
  }

  canControl(user: string): boolean {
    return !this.locked || user === this.hostUser;
  }

  setLock(locked: boolean, hostUser: string | null): void {
    this.locked = locked;
    this.hostUser = hostUser;
    this.listeners.onChange?.();
  }

  /** Lead (ms) for commands that take effect in the future, from observed one-way delays. */
  leadMs(): number {
    const p95 = this.oneWay.length > 0 ? this.oneWay.p(95) : 0;
    return Math.min(this.opts.leadMaxMs, Math.max(this.opts.leadFloorMs, 2 * p95));
  }

  /** Feed a measured peer round trip (ms), e.g. from data-channel pings. */
  notePeerRtt(rttMs: number): void {
    if (rttMs >= 0) this.oneWay.push(rttMs / 2);
  }

  /** Adopt the room function's playback (a late joiner's first truth; peers' states override it). */
  adoptServer(playback: ServerPlayback | null | undefined, force = false): void {
    const state = { ...fromServerPlayback(playback, this.clock.now()), content: this.content };
    if (!force && !this.weak && this.target.id !== '') return;
    this.future = [];
    this.buffering.cancelEpisode();
    this.target = state;
    this.weak = true;
    this.lastAction = 'state';
    this.afterTargetChange();
  }

  // ---------------------------------------------------------------- commands issued here

  /** Play for everyone, at now + lead (all peers, this one included, start at the same instant). */
  play(): boolean {
    return this.request('play', (base, at) => ({ ...base, playing: true, position: positionAt(base, at), at }));
  }

  pause(): boolean {
    return this.request('pause', (base, at) => ({ ...base, playing: false, position: positionAt(base, at), at }));
  }

  seek(position: number): boolean {
    return this.request('seek', (base, at) => ({ ...base, position: Math.max(0, position), at }));
  }

  setRate(rate: number): boolean {
    if (!(rate > 0)) return false;
    return this.request('rate', (base, at) => ({ ...base, position: positionAt(base, at), rate, at }));
  }

  private request(action: CommandAction, make: (base: SyncState, at: number) => Omit<SyncState, 'id'>): boolean {
    if (!this.canControl(this.self.user)) {
      this.listeners.onRejected?.('locked', action);
      return false;
    }
    const now = this.clock.now();
    const at = now + this.leadMs();
    const base = this.latestKnown();
    const id = newId(this.self.peer);
    const cmd: SyncCommand = {
      id,
      action,
      state: { ...make(base, at), id, content: this.content },
      issued: now,
      peer: this.self.peer,
      user: this.self.user,
      name: this.self.name,
    };
    this.transport.broadcast({ type: 'cmd', cmd });
    this.accept(cmd, 'local');
    return true;
  }

  /** The newest timeline known, including commands scheduled for the future. */
  private latestKnown(): SyncState {
    let s = this.target;
    for (const c of this.future) if (isNewer(c.state, s)) s = c.state;
    return s;
  }

  /** The member acted on the media directly (controls, keyboard, script): make it a room command. */
  private fromMember(action: CommandAction): void {
    const m = this.media;
    if (!m) return;
    if (!this.canControl(this.self.user)) {
      this.listeners.onRejected?.('locked', action);
      this.alignedFor = null;
      this.apply(true);
      return;
    }
    const now = this.clock.now();
    const base = this.latestKnown();
    const position = m.currentTime;
    let state: Omit<SyncState, 'id'>;
    switch (action) {
      case 'play':
        // the media starts moving only after its start-up latency
        state = { playing: true, position, at: now + this.playLatencyS * 1000, rate: base.rate };
        break;
      case 'pause':
        state = { playing: false, position, at: now, rate: base.rate };
        break;
      case 'rate':
        state = { playing: base.playing, position, at: now, rate: m.playbackRate };
        break;
      default: {
        // a seek while playing: everyone (this peer too) loads the new position and starts from it
        // together a moment later
        const lead = base.playing ? this.seekLeadMs() : 0;
        state = { playing: base.playing, position, at: now + lead, rate: base.rate };
      }
    }
    const id = newId(this.self.peer);
    const cmd: SyncCommand = {
      id,
      action,
      state: { ...state, id, content: this.content },
      issued: now,
      peer: this.self.peer,
      user: this.self.user,
      name: this.self.name,
    };
    this.transport.broadcast({ type: 'cmd', cmd });
    this.accept(cmd, 'local', action !== 'seek');
    if (action === 'pause') this.anchorPaused(id, ANCHOR_DELAY_MS);
    if (action === 'play') {
      // the media was started by the member: learn its start-up latency at the first look, as for our own
      this.restampFor = id;
      this.ownPlayAt = now;
      this.ownPlayGap = this.playLatencyS * base.rate;
    }
  }

  /**
   * The member's play was stamped with the learnt start-up latency, but the media started later or
   * sooner than that (the first play after loading takes much longer): the timeline moves to where the
   * media really is, so the room follows the film as it is shown instead of everyone racing after a
   * stamp nobody met.
   */
  private restamp(now: number): void {
    const m = this.media;
    if (!m) return;
    const t = this.target;
    const id = newId(this.self.peer);
    const cmd: SyncCommand = {
      id,
      action: 'restamp',
      state: { playing: true, position: m.currentTime, at: now, rate: t.rate, id, content: this.content },
      issued: now,
      peer: this.self.peer,
      user: this.self.user,
      name: this.self.name,
    };
    this.transport.broadcast({ type: 'cmd', cmd });
    this.accept(cmd, 'local', true);
  }

  /** Lead of a synchronised restart after a seek (ms): time to load, plus time to tell the others. */
  seekLeadMs(): number {
    const oneWay = this.oneWay.length > 0 ? this.oneWay.p(95) : 0;
    return Math.min(3000, Math.max(200, 2 * this.seekLatencyS * 1000 + 2 * oneWay + this.playLatencyS * 1000));
  }

  // ---------------------------------------------------------------- commands received

  /** Handle a wire message from another peer. */
  receive(message: SyncWire, fromPeer: string): void {
    switch (message.type) {
      case 'cmd':
        this.accept(message.cmd, 'remote');
        break;
      case 'state':
        this.receiveState(message.state, fromPeer);
        break;
      case 'buffering':
        this.onBufferingReport(message.peer || fromPeer, message.on, message.at);
        break;
      default:
        break;
    }
  }

  /** A peer's full state (hello answer or gossip): newest wins; any replaces the server's. */
  receiveState(state: SyncState, fromPeer: string): void {
    if (!state || typeof state.at !== 'number' || this.otherContent(state)) return;
    if (this.future.some((c) => c.state.id === state.id)) return;
    if (!this.weak && !isNewer(state, this.target)) return;
    const cmd: SyncCommand = { id: state.id, action: 'state', state, issued: state.at, peer: fromPeer, user: '', name: '' };
    this.accept(cmd, 'derived');
  }

  private accept(cmd: SyncCommand, origin: CommandOrigin, alreadyApplied = false): void {
    const now = this.clock.now();
    if (this.otherContent(cmd.state)) return;
    if (origin === 'remote') {
      if (cmd.action !== 'hold' && cmd.action !== 'resume' && !this.canControl(cmd.user)) return;
      const delay = now - cmd.issued;
      this.propagation.push(delay);
      this.lastCommand = {
        id: cmd.id,
        action: cmd.action,
        by: cmd.name || cmd.user,
        origin,
        issued: cmd.issued,
        at: cmd.state.at,
        received: now,
        applied: null,
        delayMs: delay,
      };
    } else if (origin === 'local') {
      this.lastCommand = {
        id: cmd.id,
        action: cmd.action,
        by: cmd.name,
        origin,
        issued: cmd.issued,
        at: cmd.state.at,
        received: now,
        applied: null,
        delayMs: 0,
      };
    }
    if (!this.weak && !isNewer(cmd.state, this.target)) return;
    if (this.future.some((c) => c.id === cmd.id)) return;
    if (this.dueAt(cmd) > now + 1 && !alreadyApplied) {
      this.future.push(cmd);
      this.future.sort((a, b) => (isNewer(a.state, b.state) ? 1 : -1));
      this.armFuture(origin);
      return;
    }
    this.adopt(cmd, origin, alreadyApplied);
  }

  /**
   * When a command must be adopted (server ms). A timeline that only moves the position (a seek) is
   * valid at once, the media then waits at the new position; starting to play is begun early by the
   * media's start-up latency so that it moves at exactly `at`.
   */
  private dueAt(cmd: SyncCommand): number {
    if (cmd.action === 'seek') return Number.NEGATIVE_INFINITY;
    const base = this.target;
    if (cmd.state.playing && !base.playing) return cmd.state.at - this.playLatencyS * 1000;
    return cmd.state.at;
  }

  private armFuture(origin: CommandOrigin): void {
    if (this.futureTimer !== null) this.timers.clearTimeout(this.futureTimer);
    this.futureTimer = null;
    if (this.future.length === 0) return;
    const next = Math.min(...this.future.map((c) => this.dueAt(c)));
    const delay = Math.max(0, next - this.clock.now());
    this.futureTimer = this.timers.setTimeout(() => {
      this.futureTimer = null;
      this.runDue(origin);
    }, delay);
  }

  private runDue(origin: CommandOrigin): void {
    const now = this.clock.now();
    const due = this.future.filter((c) => this.dueAt(c) <= now + 1);
    if (due.length === 0) {
      this.armFuture(origin);
      return;
    }
    this.future = this.future.filter((c) => this.dueAt(c) > now + 1);
    for (const cmd of due) if (this.weak || isNewer(cmd.state, this.target)) this.adopt(cmd, origin, false);
    this.armFuture(origin);
  }

  private adopt(cmd: SyncCommand, origin: CommandOrigin, alreadyApplied: boolean): void {
    this.target = { ...cmd.state };
    this.weak = false;
    this.lastAction = cmd.action;
    if (cmd.action !== 'hold' && cmd.action !== 'resume' && cmd.action !== 'state' && cmd.action !== 'restamp') {
      // a member took control: a hold in progress no longer applies
      if (this.buffering.holding && (cmd.action === 'pause' || cmd.action === 'play')) this.buffering.cancelEpisode();
    }
    if (alreadyApplied) {
      this.alignedFor = cmd.state.id;
      this.controller.reset();
      this.settleUntil = this.clock.now() + this.opts.settleMs;
    } else {
      this.afterTargetChange(cmd.action === 'restamp');
    }
    if (this.lastCommand && this.lastCommand.id === cmd.id) this.lastCommand.applied = this.clock.now();
    this.listeners.onCommand?.(cmd, origin);
    this.listeners.onChange?.();
  }

  /** `soft`: the timeline was only restamped; a playing media steers onto it instead of restarting. */
  private afterTargetChange(soft = false): void {
    this.alignedFor = null;
    this.startWait = null;
    this.holdOnSeeking = false;
    this.controller.reset();
    this.apply(!soft);
  }

  // ---------------------------------------------------------------- driving the media

  private expecting(e: Expect, now: number): boolean {
    if (e.count > 0 && now > e.until) e.count = 0;
    return e.count > 0;
  }

  private ownPlay(): void {
    const m = this.media;
    if (!m || !m.paused) return;
    const now = this.clock.now();
    this.lastPlayAttempt = now;
    this.ownPlayAt = now;
    // (unclamped: before the start of the film the timeline is "before zero", and that is the head start)
    const t = this.target;
    this.ownPlayGap = t.playing ? m.currentTime - (t.position + ((now - t.at) / 1000) * t.rate) : this.playLatencyS * t.rate;
    this.expectPlay = { count: this.expecting(this.expectPlay, now) ? this.expectPlay.count + 1 : 1, until: now + EXPECT_MS };
    this.settleUntil = now + this.opts.settleMs;
    let result: Promise<void> | void;
    try {
      result = m.play();
    } catch {
      result = undefined;
    }
    if (result && typeof (result as Promise<void>).catch === 'function') {
      (result as Promise<void>).catch((err: unknown) => {
        if (this.expectPlay.count > 0) this.expectPlay.count -= 1;
        const name = err && typeof err === 'object' && 'name' in err ? String((err as { name: unknown }).name) : '';
        if (name === 'NotAllowedError') this.listeners.onAutoplayBlocked?.();
      });
    }
  }

  private ownPause(): void {
    const m = this.media;
    if (!m || m.paused) return;
    const now = this.clock.now();
    this.expectPause = { count: this.expecting(this.expectPause, now) ? this.expectPause.count + 1 : 1, until: now + EXPECT_MS };
    m.pause();
  }

  private ownSeek(position: number): void {
    const m = this.media;
    if (!m) return;
    const now = this.clock.now();
    const p = clampToDuration(position, m.duration);
    this.pendingSeeks = this.pendingSeeks.filter((s) => s.until > now);
    this.pendingSeeks.push({ position: p, until: now + 3000 });
    this.settleUntil = now + this.opts.settleMs;
    this.ownSeekAt = now;
    m.seek(p);
  }

  /**
   * Puts a media just paused from playing exactly on the paused timeline, a moment later (so the
   * pause itself is not held up): soon when it shows another frame, else once the pause has reached
   * every peer, so that this seek's work does not hold up their pause events. Chromium reports the
   * position pause() was called at, but its pipeline runs on a little (tens of ms) and a later play
   * resumes from there: only a seek brings it back. A seek to the very position it reports is
   * elided, so that one goes a millisecond further.
   */
  private anchorPaused(id: string, delayMs: number): void {
    this.timers.setTimeout(() => {
      const m = this.media;
      if (!m || this.target.id !== id || this.target.playing || !m.paused) return;
      const p = clampToDuration(this.target.position, m.duration);
      this.ownSeek(Math.abs(m.currentTime - p) < 0.0005 ? p + 0.001 : p);
    }, delayMs);
  }

  private ownRate(rate: number): void {
    const m = this.media;
    if (!m) return;
    if (Math.abs(m.playbackRate - rate) < 1e-4) return;
    this.lastRateSet = rate;
    m.setRate(rate);
  }

  private ended(position: number): boolean {
    const d = this.media?.duration ?? Number.NaN;
    return Number.isFinite(d) && d > 0 && position >= d - 0.1;
  }

  /** Bring the media onto the timeline. `changed`: the timeline itself just changed (a command). */
  private apply(changed: boolean): void {
    const m = this.media;
    if (!m) return;
    const now = this.clock.now();
    const t = this.target;
    if (!t.playing) {
      this.startWait = null;
      this.controller.reset();
      const wasPaused = m.paused;
      this.ownPause();
      const pos = clampToDuration(t.position, m.duration);
      if (this.alignedFor !== t.id) {
        this.alignedFor = t.id;
        const off = Math.abs(m.currentTime - pos) > this.opts.pausedTolerance;
        if (wasPaused) {
          // already still (a seek while paused): show the new frame at once
          if (off) {
            if (changed) this.commandSeeks += 1;
            this.ownSeek(pos);
          }
        } else {
          if (off && changed) this.commandSeeks += 1;
          this.anchorPaused(t.id, off ? ALIGN_DELAY_MS : ANCHOR_DELAY_MS);
        }
      }
      this.ownRate(t.rate);
      return;
    }
    const expected = clampToDuration(positionAt(t, now), m.duration);
    if (this.ended(expected)) return;
    if (this.startWait) {
      this.checkStartWait(now);
      return;
    }
    const off = Math.abs(m.currentTime - expected);
    if (m.paused) {
      this.startFromPause(now, expected);
      return;
    }
    if (changed && this.alignedFor !== t.id && off > this.opts.commandSeekThreshold) {
      // a command moved the timeline: the restart seeks before touching anything else on the media
      this.commandSeeks += 1;
      this.restartAt(now);
      return;
    }
    if (this.controller.isCorrecting === false) this.ownRate(t.rate);
    if (changed) this.alignedFor = t.id;
  }

  /**
   * The timeline plays and the media stands still: start it. A media close enough to the timeline
   * (ready to play, or already seeking to about the right place) plays at once and the rate
   * controller absorbs the rest; one standing a little ahead waits in place for the timeline to
   * arrive; only a large error (or a media still loading far from the timeline) seeks and restarts.
   */
  private startFromPause(now: number, expected: number): void {
    const m = this.media;
    if (!m) return;
    const t = this.target;
    const ahead = m.currentTime - expected;
    const ready = !m.seeking && m.readyState >= HAVE_FUTURE_DATA;
    // (while seeking, the media reports the position it is seeking to)
    const seekingNear = m.seeking && Math.abs(ahead) <= this.opts.commandSeekThreshold;
    const near = ready ? Math.abs(ahead) <= this.opts.playTolerance : Math.abs(ahead) <= this.opts.commandSeekThreshold;
    if ((near && !m.seeking) || seekingNear) {
      // (even if data is still loading: the browser starts as soon as it can, steering does the rest)
      this.alignedFor = t.id;
      this.joining = false;
      this.ownRate(t.rate);
      this.ownPlay();
      return;
    }
    if (ready && ahead > 0 && ahead <= this.opts.waitAheadMax) {
      // already showing a frame a moment ahead: no seek, just start when the timeline gets there
      this.startWait = { position: m.currentTime, lead: Math.max(0.2, this.seekLatencyS * 2 + 0.05), first: m.currentTime };
      this.alignedFor = t.id;
      this.controller.reset();
      this.ownRate(t.rate);
      this.checkStartWait(now);
      return;
    }
    this.restartAt(now);
  }

  /**
   * Synchronised restart: pause, seek to where the timeline will be once the media has loaded (or to
   * the command's own position when it lies far enough ahead), and play when the timeline gets there.
   */
  private restartAt(now: number): void {
    const m = this.media;
    if (!m) return;
    const t = this.target;
    const lead = Math.max(0.2, this.seekLatencyS * 2 + 0.05);
    const when = Math.max(now + lead * 1000, t.at);
    const position = clampToDuration(positionAt(t, when), m.duration);
    this.startWait = { position, lead, first: position };
    this.alignedFor = t.id;
    this.controller.reset();
    // The seek goes first: the media starts loading the new position (and fires its seeking event)
    // at once, not after the events and work of a pause and a rate change. A seeking media does not
    // advance, and its seeking event comes before its seeked one: pausing when it says it is seeking
    // still restarts from `position` (and a media that never says so is paused once loaded).
    if (Math.abs(m.currentTime - position) > 0.002) {
      this.ownSeek(position);
      this.holdOnSeeking = true;
      return;
    }
    this.holdForStart();
  }

  /** A restart waits paused, at the room's rate, for the moment to start. */
  private holdForStart(): void {
    this.holdOnSeeking = false;
    if (!this.startWait || !this.target.playing) return;
    this.ownPause();
    this.ownRate(this.target.rate);
  }

  private checkStartWait(now: number): void {
    const m = this.media;
    const w = this.startWait;
    if (!m || !w) return;
    const t = this.target;
    if (!t.playing) {
      this.startWait = null;
      return;
    }
    const expected = positionAt(t, now);
    if (expected > w.position + 0.05) {
      // too slow to load: try again further ahead
      const lead = Math.min(8, w.lead * 2);
      this.startWait = { position: clampToDuration(expected + lead * t.rate, m.duration), lead, first: w.first };
      this.ownSeek(this.startWait.position);
      return;
    }
    if (m.readyState < HAVE_FUTURE_DATA || m.seeking) return;
    if (!m.paused) this.holdForStart();
    const waitMs = ((w.position - expected) / t.rate) * 1000 - this.playLatencyS * 1000;
    if (waitMs <= 2) {
      this.startWait = null;
      this.joining = false;
      this.ownPlay();
      return;
    }
    if (this.startTimer === null && waitMs < this.opts.tickMs * 1.5) {
      this.startTimer = this.timers.setTimeout(() => {
        this.startTimer = null;
        if (this.startWait && this.media?.paused && this.target.playing) {
          this.startWait = null;
          this.joining = false;
          this.ownPlay();
        }
      }, waitMs);
    }
  }

  // ---------------------------------------------------------------- media events

  /** Forward every media event here; the engine tells its own doings from the member's. */
  handleMediaEvent(kind: MediaEventKind): void {
    const m = this.media;
    if (!m) return;
    const now = this.clock.now();
    switch (kind) {
      case 'play': {
        if (this.expecting(this.expectPlay, now)) {
          this.expectPlay.count -= 1;
          return;
        }
        if (m.paused) return; // stale: paused again since
        if (this.latestKnown().playing || this.target.playing) return;
        this.fromMember('play');
        return;
      }
      case 'pause': {
        if (this.expecting(this.expectPause, now)) {
          this.expectPause.count -= 1;
          return;
        }
        if (!m.paused) return;
        if (!this.target.playing) return;
        if (this.ended(m.currentTime)) return;
        this.fromMember('pause');
        return;
      }
      case 'seeking': {
        const pos = m.currentTime;
        this.pendingSeeks = this.pendingSeeks.filter((s) => s.until > now);
        const i = this.pendingSeeks.findIndex((s) => Math.abs(s.position - pos) < 0.01);
        if (i >= 0) {
          this.pendingSeeks.splice(0, i + 1);
          if (this.holdOnSeeking) this.holdForStart();
          return;
        }
        if (Math.abs(pos - this.expectedPosition(now)) < 0.05) return;
        if (this.startWait && Math.abs(pos - this.startWait.position) < 0.05) return;
        this.fromMember('seek');
        return;
      }
      case 'seeked': {
        if (this.ownSeekAt !== null && this.pendingSeeks.length === 0) {
          const sample = (now - this.ownSeekAt) / 1000;
          if (sample >= 0 && sample < 5) this.seekLatencyS = this.seekLatencyS * 0.7 + sample * 0.3;
          this.ownSeekAt = null;
        }
        if (this.startWait) this.checkStartWait(now);
        return;
      }
      case 'canplay': {
        if (this.startWait) this.checkStartWait(now);
        return;
      }
      case 'ratechange': {
        const r = m.playbackRate;
        if (this.lastRateSet !== null && Math.abs(r - this.lastRateSet) < 1e-3) return;
        const base = this.target.rate;
        if (Math.abs(r - base) <= base * this.controller.maxNudge + 1e-3) return;
        this.fromMember('rate');
        return;
      }
      default:
        return;
    }
  }

  // ---------------------------------------------------------------- steady state

  /** One step of the loop; public so tests can drive it. */
  tick(): void {
    const now = this.clock.now();
    if (this.future.some((c) => this.dueAt(c) <= now + 1)) this.runDue('remote');
    this.evaluateBuffering(now);
    const m = this.media;
    if (m) {
      this.detectStall(now);
      this.steer(now);
    }
    if (this.opts.gossipMs > 0 && now - this.lastGossip >= this.opts.gossipMs && !this.weak) {
      this.lastGossip = now;
      this.transport.broadcast({ type: 'state', state: this.target, locked: this.locked });
    }
  }

  private steer(now: number): void {
    const m = this.media;
    if (!m) return;
    const t = this.target;
    if (!t.playing) {
      this.pausedSince = null;
      if (this.alignedFor !== t.id) this.apply(false);
      return;
    }
    const expected = clampToDuration(positionAt(t, now), m.duration);
    if (this.ended(expected)) return;
    if (this.startWait) {
      this.checkStartWait(now);
      return;
    }
    if (m.paused) {
      // (a member's pause is reported by its event; only a lasting mismatch is ours to fix)
      if (this.pausedSince === null) this.pausedSince = now;
      if (!this.expecting(this.expectPlay, now) && now - this.lastPlayAttempt > 1000 && now - this.pausedSince > 500) {
        this.apply(false);
      }
      return;
    }
    this.pausedSince = null;
    if (m.seeking || m.readyState < HAVE_FUTURE_DATA || now < this.settleUntil) return;
    const drift = m.currentTime - expected;
    this.lastDrift = drift;
    if (this.ownPlayAt !== null) {
      // the first look after starting: how late did the media really start moving? (learn)
      // It was given a head start of ownPlayGap; whatever of it is left (drift) is what it did not need.
      // A play called late (the command arrived after its moment) is behind by that much, not slower.
      // The first start after loading is far slower than the others: it is not learnt from. A member's
      // own play whose media started well off its stamp is restamped.
      this.ownPlayAt = null;
      const sample = (this.ownPlayGap - drift) / t.rate;
      const cold = this.coldStart;
      this.coldStart = false;
      if (!cold && Math.abs(drift) < 0.3 && sample > -0.1 && sample < 1) {
        this.playLatencyS = Math.min(0.5, Math.max(0, this.playLatencyS + (sample - this.playLatencyS) * 0.5));
      }
      const mine = this.restampFor === t.id;
      this.restampFor = null;
      if (mine && Math.abs(drift) > this.opts.restampMin && Math.abs(drift) < 0.3) {
        this.restamp(now);
        this.listeners.onChange?.();
        return;
      }
    }
    this.drifts.push(Math.abs(drift) * 1000);
    const decision = this.controller.decide(drift, now);
    if (decision.kind === 'seek') {
      this.restartAt(now);
      this.listeners.onChange?.();
      return;
    }
    this.ownRate(t.rate * decision.factor);
  }

  // ---------------------------------------------------------------- buffering

  private detectStall(now: number): void {
    const m = this.media;
    if (!m) return;
    const t = this.target;
    if (this.localBuffering) {
      const ready =
        m.readyState >= HAVE_FUTURE_DATA &&
        !m.seeking &&
        (m.bufferedAhead() >= this.opts.readyAheadS || this.ended(m.currentTime + m.bufferedAhead() + 0.2));
      const recovered = t.playing && !m.paused && m.readyState >= HAVE_FUTURE_DATA && !m.seeking;
      if (ready || recovered) {
        this.localBuffering = false;
        this.stalledSince = null;
        this.sendBuffering(false, now);
      }
      return;
    }
    const expected = positionAt(t, now);
    const shouldPlay = t.playing && !this.joining && !this.ended(expected);
    // stalled: playing without data, or a restart whose planned moment has passed while still loading
    const stalled =
      shouldPlay &&
      ((this.startWait === null && !m.paused && m.readyState < HAVE_FUTURE_DATA) ||
        (this.startWait !== null && expected > this.startWait.first + 0.05));
    if (!stalled) {
      this.stalledSince = null;
      return;
    }
    if (this.stalledSince === null) this.stalledSince = now;
    if (now - this.stalledSince >= this.opts.stallReportMs && !this.buffering.isDropped(this.self.peer)) {
      this.localBuffering = true;
      this.sendBuffering(true, now);
    }
  }

  private sendBuffering(on: boolean, at: number): void {
    this.transport.broadcast({ type: 'buffering', peer: this.self.peer, on, at });
    this.onBufferingReport(this.self.peer, on, at);
  }

  private onBufferingReport(peer: string, on: boolean, at: number): void {
    if (this.buffering.report(peer, on, at)) {
      this.listeners.onBuffering?.(peer, on);
      this.listeners.onChange?.();
    }
    this.evaluateBuffering(this.clock.now());
  }

  /** A peer left: the room stops waiting for it. */
  peerGone(peer: string): void {
    this.buffering.remove(peer, this.clock.now());
    this.evaluateBuffering(this.clock.now());
  }

  private evaluateBuffering(now: number): void {
    const effect = this.buffering.evaluate(now, this.latestKnown().playing, this.target.at);
    if (effect) this.applyBufferingEffect(effect);
  }

  private applyBufferingEffect(effect: BufferingEffect): void {
    const t = this.latestKnown();
    if (effect.kind === 'hold') {
      const state: SyncState = {
        playing: false,
        position: clampToDuration(positionAt(t, effect.at), this.media?.duration ?? Number.NaN),
        at: effect.at,
        rate: t.rate,
        id: effect.id,
        content: this.content,
      };
      this.accept({ id: effect.id, action: 'hold', state, issued: effect.at, peer: effect.peer, user: '', name: '' }, 'derived');
      return;
    }
    if (effect.dropped.length > 0) this.listeners.onDropped?.(effect.dropped);
    // resume only if nobody changed the timeline since the hold (a seek during it keeps the intent to play)
    const holdStillInForce = t.id === effect.holdId || (this.lastAction === 'seek' && !t.playing && t.at >= 0);
    if (!holdStillInForce) return;
    const state: SyncState = {
      playing: true,
      position: t.position,
      at: Math.max(effect.at, t.at),
      rate: t.rate,
      id: effect.id,
      content: this.content,
    };
    this.accept({ id: effect.id, action: 'resume', state, issued: effect.at, peer: '', user: '', name: '' }, 'derived');
  }

  // ---------------------------------------------------------------- figures

  stats(): EngineStats {
    return {
      offsetMs: Number.NaN,
      driftMs: this.lastDrift * 1000,
      driftP50Ms: this.drifts.p(50),
      driftP95Ms: this.drifts.p(95),
      correctiveSeeks: this.controller.seeks,
      commandSeeks: this.commandSeeks,
      leadMs: this.leadMs(),
      oneWayP95Ms: this.oneWay.p(95),
      propagationP50Ms: this.propagation.p(50),
      propagationP95Ms: this.propagation.p(95),
      lastCommand: this.lastCommand ? { ...this.lastCommand } : null,
      seekLatencyMs: this.seekLatencyS * 1000,
      playLatencyMs: this.playLatencyS * 1000,
      correcting: this.controller.isCorrecting,
      rate: this.media?.playbackRate ?? Number.NaN,
      buffering: this.localBuffering,
      waitingFor: this.buffering.waiting,
      holding: this.buffering.holding !== null,
    };
  }

  /** Recent |drift| samples (ms) of the steady-state loop. */
  driftSamples(): readonly number[] {
    return this.drifts.all();
  }

  /** State to hand a peer that just connected. */
  helloState(): SyncState | null {
    return this.weak ? null : { ...this.latestKnown() };
  }

  get isWeak(): boolean {
    return this.weak;
  }
}
