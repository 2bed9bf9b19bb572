import type { SegmentOf } from '../../lib/segmentGrid';
import { Aligner, ANCHOR_DELAY_MS } from './align';
import { BufferingCoordinator, type BufferingEffect } from './buffering';
import { holdCommand, resumeCommand, voidedHoldCommand } from './bufferingCommands';
import { issueCommand, memberTimeline } from './commands';
import { DriftController } from './controller';
import { clampSeek, RoomEdges } from './edge';
import { CommandFigures, type EngineStats } from './figures';
import { FollowState } from './followState';
import { LearntLatencies } from './latencies';
import { MemberActions } from './memberActions';
import { settingsOf, type CommandOrigin, type EngineIdentity, type EngineListeners, type EngineOptions, type EngineSettings } from './options';
import { OwnMedia } from './ownMedia';
import { CommandSchedule } from './schedule';
import { clampToDuration, fromServerPlayback, isNewer, positionAt, sameCourse, type ServerPlayback } from './state';
import { StallWatch, type StallReport } from './stall';
import { Startup } from './startup';
import { Steering } from './steering';
import type {
  CommandAction,
  MediaEventKind,
  MediaLike,
  ServerClock,
  SyncCommand,
  SyncState,
  SyncTransport,
  SyncWire,
  TimerHandle,
  Timers,
} from './types';

export type { CommandTiming, EngineStats } from './figures';
export type { CommandOrigin, EngineIdentity, EngineListeners, EngineOptions } from './options';

/**
 * The sync engine: keeps this peer's media on the room's timeline, turns the member's own media
 * actions into room commands, and runs the buffering protocol. Clock, timers, media and transport
 * are injected, so it runs without a browser.
 *
 * It holds the room's side (which timeline is in force, commands issued and received, buffering
 * reports); the media's side is done by its parts: OwnMedia (the engine's own media operations),
 * Aligner (onto a new timeline), Startup (starts and synchronised restarts), Steering (drift) and
 * StallWatch (this peer's stalls), sharing one FollowState.
 */
export class SyncEngine {
  self: EngineIdentity;
  readonly controller: DriftController;
  readonly buffering: BufferingCoordinator;
  private readonly clock: ServerClock;
  private readonly timers: Timers;
  private readonly transport: SyncTransport;
  private readonly opts: EngineSettings;
  private listeners: EngineListeners = {};

  private readonly follow: FollowState;
  private readonly latencies: LearntLatencies;
  private readonly own: OwnMedia;
  private readonly startup: Startup;
  private readonly aligner: Aligner;
  private readonly steering: Steering;
  private readonly stall: StallWatch;
  private readonly memberActions: MemberActions;
  private readonly schedule: CommandSchedule;
  private readonly figures = new CommandFigures();
  private readonly edges = new RoomEdges();

  private lastAction: CommandAction = 'state';
  /** The target came from the room function, not a peer: any peer's state replaces it. */
  private weak = true;
  /** The timeline in force when the last hold was derived: where a void hold goes back to. */
  private heldFrom: { holdId: string; state: SyncState } | null = null;
  private tickTimer: TimerHandle | null = null;
  private running = false;
  private lastGossip = 0;

  hostUser: string | null;
  locked: boolean;
  /** The film the room watches (null: unknown, accept any). */
  content: string | null = null;

  constructor(options: EngineOptions) {
    this.clock = options.clock;
    this.timers = options.timers;
    this.transport = options.transport;
    this.self = options.self;
    this.controller = new DriftController(options.controller);
    this.buffering = new BufferingCoordinator(options.buffering);
    this.hostUser = options.hostUser ?? null;
    this.locked = options.locked ?? false;
    this.opts = settingsOf(options);
    this.follow = new FollowState(options.media ?? null);
    this.latencies = new LearntLatencies(options.seekLatencyS ?? 0.15, options.playLatencyS ?? 0.03);
    this.own = new OwnMedia(this.follow, this.clock, this.opts.settleMs, () => this.listeners.onAutoplayBlocked?.());
    this.startup = new Startup(this.follow, this.own, this.latencies, this.controller, this.clock, this.timers, this.opts);
    this.aligner = new Aligner(this.follow, this.own, this.startup, this.controller, this.clock, this.timers, this.opts);
    this.steering = new Steering(this.follow, this.own, this.startup, this.aligner, this.latencies, this.controller, this.opts.restampMin, {
      restamp: (now) => this.restamp(now),
      changed: () => this.listeners.onChange?.(),
    });
    this.stall = new StallWatch(this.follow, this.startup, () => !this.buffering.isDropped(this.self.peer), this.opts, this.buffering.graceMs);
    this.memberActions = new MemberActions(this.follow, this.own, this.startup, this.latencies, this.controller, this.clock, () =>
      this.latestKnown().playing,
    );
    this.schedule = new CommandSchedule(this.clock, this.timers, (cmd) => this.dueAt(cmd), () => this.runDue());
  }

  // ---------------------------------------------------------------- setup

  setListeners(listeners: EngineListeners): void {
    this.listeners = listeners;
  }

  /** Attach (or detach with null) the media element; it is brought onto the timeline at once. */
  setMedia(media: MediaLike | null): void {
    this.follow.media = media;
    this.follow.alignedFor = null;
    this.startup.reset();
    this.startup.joining = true;
    this.latencies.coldAgain();
    this.controller.reset();
    if (media) this.aligner.apply(true);
  }

  /**
   * Where the media, about to fetch its first data and ready in about `readyInS`, should load from: where
   * the playing timeline will be by then (planned as this member's start, so that a late joiner loads the
   * part the room is about to watch, not the film's beginning), or where the paused room stands. Null when
   * there is no media or no timeline yet. `segmentOf`: the segments of the media's stream, when known (a
   * joiner's start is then planned clear of its segment's last moments).
   */
  planStart(readyInS: number, segmentOf: SegmentOf | null = null): number | null {
    const m = this.follow.media;
    if (!m || this.content === null) return null;
    const t = this.target;
    if (!t.playing) return clampToDuration(t.position, m.duration);
    this.startup.restartAt(this.clock.now(), readyInS, segmentOf);
    return this.startup.waiting?.position ?? null;
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
    this.aligner.apply(true);
  }

  stop(): void {
    this.running = false;
    if (this.tickTimer !== null) this.timers.clearTimeout(this.tickTimer);
    this.tickTimer = null;
    this.schedule.stop();
    this.startup.stop();
  }

  // ---------------------------------------------------------------- state access

  private get target(): SyncState {
    return this.follow.target;
  }

  /** The timeline in force (what the room agreed on, as far as this peer knows). */
  get state(): SyncState {
    return { ...this.target };
  }

  /** Where the room's timeline is now (s). */
  expectedPosition(now: number = this.clock.now()): number {
    return this.follow.expectedAt(now);
  }

  /** The room moved to another film: its timeline starts from the room function's playback. */
  setContent(content: string | null, playback: ServerPlayback | null | undefined): void {
    if (content === this.content) return;
    this.content = content;
    this.edges.clear();
    this.startup.joining = true;
    this.latencies.coldAgain();
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
    return Math.min(this.opts.leadMaxMs, Math.max(this.opts.leadFloorMs, 2 * this.figures.oneWayForLead()));
  }

  /** Feed a measured round trip (ms) to a peer, e.g. from data-channel pings. */
  notePeerRtt(rttMs: number, peer?: string): void {
    this.figures.notePeerRtt(rttMs, peer);
  }

  /**
   * How far ahead (ms) a member's own play is scheduled, so that it reaches the farthest peer before its
   * moment and everyone starts together; 0 when the peers are close enough for the late ones to catch up
   * unnoticed (the play then starts at once where the member pressed it).
   */
  memberPlayLeadMs(): number {
    const slowest = this.figures.slowestOneWay(this.opts.unmeasuredOneWayMs);
    if (slowest < this.opts.memberPlayDeferMs) return 0;
    return Math.min(this.opts.leadMaxMs, slowest + this.opts.memberPlayMarginMs);
  }

  /** Adopt the room function's playback (a late joiner's first truth; peers' states override it). */
  adoptServer(playback: ServerPlayback | null | undefined, force = false): void {
    const state = { ...fromServerPlayback(playback, this.clock.now()), content: this.content };
    if (!force && !this.weak && this.target.id !== '') return;
    this.schedule.clear();
    this.buffering.cancelEpisode();
    this.follow.target = state;
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

  /** Seek for everyone; a position past what everyone can play (a film still being encoded) is clamped to it. */
  seek(position: number): boolean {
    const limited = clampSeek(position, this.playableLimit());
    return this.request('seek', (base, at) => ({ ...base, position: limited.position, at }), limited.clamped);
  }

  /**
   * The furthest position (s) every member can play while the film is still being encoded: the lowest
   * encoded edge among them (each member's own rung), less a margin; Infinity for a whole film.
   */
  playableLimit(): number {
    return this.edges.limit(this.follow.edge());
  }

  setRate(rate: number): boolean {
    if (!(rate > 0)) return false;
    return this.request('rate', (base, at) => ({ ...base, position: positionAt(base, at), rate, at }));
  }

  private request(action: CommandAction, make: (base: SyncState, at: number) => Omit<SyncState, 'id'>, atEdge = false): boolean {
    if (!this.canControl(this.self.user)) {
      this.listeners.onRejected?.('locked', action);
      return false;
    }
    const now = this.clock.now();
    const at = now + this.leadMs();
    const base = this.latestKnown();
    this.issue(action, make(base, at), now, false, atEdge);
    return true;
  }

  /**
   * A command issued here (at `now`) goes to every peer and is taken here too. `atEdge`: it was
   * clamped to the encoded edge.
   */
  private issue(action: CommandAction, state: Omit<SyncState, 'id'>, now: number, alreadyApplied = false, atEdge = false): SyncCommand {
    const cmd = issueCommand(this.self, action, state, this.content, now);
    if (atEdge) cmd.edge = true;
    this.transport.broadcast({ type: 'cmd', cmd });
    this.accept(cmd, 'local', alreadyApplied);
    return cmd;
  }

  /** The newest timeline known, including commands scheduled for the future. */
  private latestKnown(): SyncState {
    return this.schedule.newest(this.target);
  }

  /** The member acted on the media directly (controls, keyboard, script): make it a room command. */
  private fromMember(action: CommandAction): void {
    const m = this.follow.media;
    if (!m) return;
    if (!this.canControl(this.self.user)) {
      this.listeners.onRejected?.('locked', action);
      this.follow.alignedFor = null;
      this.aligner.apply(true);
      return;
    }
    const now = this.clock.now();
    const base = this.latestKnown();
    // nobody seeks past what everyone can play (the browser already stops a seek at its own edge)
    const limited = action === 'seek' ? clampSeek(m.currentTime, this.playableLimit()) : { position: m.currentTime, clamped: false };
    const media = { position: limited.position, rate: m.playbackRate };
    const lead = action === 'play' ? this.memberPlayLeadMs() : 0;
    if (lead > 0) {
      // the farthest peer would start that much late: this media waits too, and all start at now + lead.
      // A paused pipeline runs on a little past where it reports: it waits exactly where the play was
      // pressed (1 ms on, or the browser elides the seek), as every media does after a pause.
      this.own.pause();
      this.own.seek(media.position + 0.001);
      this.issue(action, { playing: true, position: media.position, at: now + lead, rate: base.rate }, now);
      return;
    }
    const state = memberTimeline(action, media, base, now, this.latencies.playS, this.seekLeadMs());
    const cmd = this.issue(action, state, now, action !== 'seek', limited.clamped);
    if (action === 'pause') this.aligner.anchorPaused(cmd.id, ANCHOR_DELAY_MS);
    if (action === 'play') {
      // the media was started by the member: learn its start-up latency at the first look, as for our own
      this.steering.restampFor = cmd.id;
      this.latencies.watchStart(this.latencies.playS * base.rate);
    }
  }

  /**
   * The member's play was stamped with the learnt start-up latency, but the media started later or
   * sooner than that (the first play after loading takes much longer): the timeline moves to where the
   * media really is, so the room follows the film as it is shown instead of everyone racing after a
   * stamp nobody met.
   */
  private restamp(now: number): void {
    const m = this.follow.media;
    if (!m) return;
    const t = this.target;
    const state = { playing: true, position: m.currentTime, at: now, rate: t.rate };
    this.issue('restamp', state, now, true);
  }

  /** Lead of a synchronised restart after a seek (ms): time to load, plus time to tell the others. */
  seekLeadMs(): number {
    return this.latencies.seekLeadMs(this.figures.oneWayForLead());
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
        // who it is from is the link's own peer id (the signalling server checked it), not what it claims
        this.onBufferingReport(fromPeer, message.on, message.at, message.edge);
        break;
      case 'edge':
        // (an edge of another film than this peer's says nothing about this one)
        if (message.content == null || this.content === null || message.content === this.content) {
          this.edges.note(fromPeer, message);
        }
        break;
      default:
        break;
    }
  }

  /** A peer's full state (hello answer or gossip): newest wins; any replaces the server's. */
  receiveState(state: SyncState, fromPeer: string): void {
    if (!state || typeof state.at !== 'number' || this.otherContent(state)) return;
    if (this.schedule.hasState(state.id)) return;
    if (!this.weak && !isNewer(state, this.target)) return;
    const cmd: SyncCommand = { id: state.id, action: 'state', state, issued: state.at, peer: fromPeer, user: '', name: '' };
    this.accept(cmd, 'derived');
  }

  private accept(cmd: SyncCommand, origin: CommandOrigin, alreadyApplied = false): void {
    const now = this.clock.now();
    if (this.otherContent(cmd.state)) return;
    if (origin === 'remote' && cmd.action !== 'hold' && cmd.action !== 'resume' && !this.canControl(cmd.user)) return;
    this.figures.noteCommand(cmd, origin, now);
    if (!this.weak && !isNewer(cmd.state, this.target)) return;
    if (this.schedule.has(cmd.id)) return;
    if (this.dueAt(cmd) > now + 1 && !alreadyApplied) {
      this.schedule.add(cmd, origin);
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
    if (cmd.state.playing && !base.playing) return cmd.state.at - this.latencies.playS * 1000;
    return cmd.state.at;
  }

  private runDue(): void {
    const due = this.schedule.takeDue(this.clock.now());
    for (const { cmd, origin } of due) if (this.weak || isNewer(cmd.state, this.target)) this.adopt(cmd, origin, false);
    this.schedule.arm();
  }

  private adopt(cmd: SyncCommand, origin: CommandOrigin, alreadyApplied: boolean): void {
    // a peer's first state that only confirms the server's playing timeline: the start under way goes on
    const confirms = this.weak && sameCourse(this.target, cmd.state, this.clock.now());
    this.follow.target = { ...cmd.state };
    this.weak = false;
    this.lastAction = cmd.action;
    // a member took control: a hold in progress no longer applies
    if (this.buffering.holding && (cmd.action === 'pause' || cmd.action === 'play')) this.buffering.cancelEpisode();
    if (alreadyApplied) {
      this.follow.alignedFor = cmd.state.id;
      this.controller.reset();
      this.own.settle(this.clock.now());
    } else if (confirms) {
      this.follow.alignedFor = cmd.state.id;
    } else {
      this.afterTargetChange(cmd.action === 'restamp');
    }
    this.figures.noteApplied(cmd.id, this.clock.now());
    this.listeners.onCommand?.(cmd, origin);
    this.listeners.onChange?.();
  }

  /** `soft`: the timeline was only restamped; a playing media steers onto it instead of restarting. */
  private afterTargetChange(soft = false): void {
    this.follow.alignedFor = null;
    this.startup.reset();
    this.controller.reset();
    this.aligner.apply(!soft);
  }

  // ---------------------------------------------------------------- media events

  /**
   * Forward every media event here; the engine tells its own doings from the member's. The player's controls
   * report theirs here too, before the event: an action is read from the media's state against the room's
   * timeline, so its event, when it comes, finds it already taken.
   */
  handleMediaEvent(kind: MediaEventKind): void {
    const action = this.memberActions.of(kind);
    if (action !== null) this.fromMember(action);
  }

  // ---------------------------------------------------------------- steady state

  /** One step of the loop; public so tests can drive it. */
  tick(): void {
    const now = this.clock.now();
    if (this.schedule.anyDue(now)) this.runDue();
    this.evaluateBuffering(now);
    const m = this.follow.media;
    if (m) {
      const report = this.stall.check(now);
      if (report !== null) this.sendBuffering(report);
      this.steering.steer(now);
      this.tellEdge();
    }
    if (this.opts.gossipMs > 0 && now - this.lastGossip >= this.opts.gossipMs && !this.weak) {
      this.lastGossip = now;
      this.transport.broadcast({ type: 'state', state: this.target, locked: this.locked });
      this.edges.retell();
    }
  }

  // ---------------------------------------------------------------- buffering

  private sendBuffering(report: StallReport): void {
    const { on, at, edge } = report;
    this.transport.broadcast(edge === undefined ? { type: 'buffering', peer: this.self.peer, on, at } : { type: 'buffering', peer: this.self.peer, on, at, edge });
    this.onBufferingReport(this.self.peer, on, at, edge);
  }

  private onBufferingReport(peer: string, on: boolean, at: number, edge?: number): void {
    if (this.buffering.report(peer, on, at, typeof edge === 'number' && Number.isFinite(edge) ? edge : null)) {
      this.listeners.onBuffering?.(peer, on);
      this.listeners.onChange?.();
    }
    this.evaluateBuffering(this.clock.now());
  }

  /** While the film is still being encoded, the others hear how far this member's stream is (as it grows). */
  private tellEdge(): void {
    const tell = this.edges.toTell(this.follow.edge());
    if (tell) this.transport.broadcast({ type: 'edge', peer: this.self.peer, edge: tell.edge, growing: tell.growing, content: this.content });
  }

  /** A link to a peer opened (its delay is measured from its first round trips). */
  peerLinked(peer: string): void {
    this.figures.notePeerLinked(peer);
  }

  /** A peer left: the room stops waiting for it. */
  peerGone(peer: string): void {
    this.figures.forgetPeer(peer);
    this.edges.forget(peer);
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
      this.heldFrom = { holdId: effect.id, state: t };
      this.accept(holdCommand(effect, t, this.follow.media?.duration ?? Number.NaN, this.content), 'derived');
      return;
    }
    if (effect.kind === 'void') {
      const from = this.heldFrom;
      this.heldFrom = null;
      if (from?.holdId === effect.holdId && this.target.id === effect.holdId) {
        this.adopt(voidedHoldCommand(effect, from.state, this.clock.now()), 'derived', false);
      }
      return;
    }
    if (effect.dropped.length > 0) this.listeners.onDropped?.(effect.dropped);
    if (effect.kind === 'drop') return;
    const resume = resumeCommand(effect, t, this.lastAction, this.content);
    if (resume) this.accept(resume, 'derived');
  }

  // ---------------------------------------------------------------- figures

  stats(): EngineStats {
    return {
      offsetMs: Number.NaN,
      driftMs: this.steering.lastDrift * 1000,
      driftP50Ms: this.steering.drifts.p(50),
      driftP95Ms: this.steering.drifts.p(95),
      correctiveSeeks: this.controller.seeks,
      commandSeeks: this.aligner.commandSeeks,
      leadMs: this.leadMs(),
      oneWayP95Ms: this.figures.oneWayP95Ms,
      propagationP50Ms: this.figures.propagationP(50),
      propagationP95Ms: this.figures.propagationP(95),
      lastCommand: this.figures.lastCommand,
      seekLatencyMs: this.latencies.seekS * 1000,
      playLatencyMs: this.latencies.playS * 1000,
      correcting: this.controller.isCorrecting,
      rate: this.follow.media?.playbackRate ?? Number.NaN,
      buffering: this.stall.buffering,
      waitingFor: this.buffering.waiting,
      holding: this.buffering.holding !== null,
      waitingForEncoder: this.buffering.waitingForEncoder,
      playableLimit: this.playableLimit(),
    };
  }

  /** Recent |drift| samples (ms) of the steady-state loop. */
  driftSamples(): readonly number[] {
    return this.steering.drifts.all();
  }

  /** State to hand a peer that just connected. */
  helloState(): SyncState | null {
    return this.weak ? null : { ...this.latestKnown() };
  }

  get isWeak(): boolean {
    return this.weak;
  }
}
