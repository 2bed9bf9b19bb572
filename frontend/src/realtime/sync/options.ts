import type { BufferingOptions } from './buffering';
import type { DriftControllerOptions } from './controller';
import type { CommandAction, MediaLike, ServerClock, SyncCommand, SyncTransport, Timers } from './types';

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
  /** Seconds buffered ahead before a joiner's planned start plays: with less, a slow link stalls it at once. */
  startAheadS?: number;
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
  /** A member's own play is scheduled ahead once the farthest peer is this far (one-way, ms)... */
  memberPlayDeferMs?: number;
  /** ...by that peer's delay and this margin (ms), within leadMaxMs. */
  memberPlayMarginMs?: number;
  /** The one-way delay (ms) assumed for a peer linked but not yet measured. */
  unmeasuredOneWayMs?: number;
  /** Interval of the state gossip that repairs lost messages (ms; 0 = off). */
  gossipMs?: number;
  controller?: DriftControllerOptions;
  buffering?: BufferingOptions;
  hostUser?: string | null;
  locked?: boolean;
}

/** The engine's tunings with their defaults filled in. */
export type EngineSettings = Required<
  Pick<
    EngineOptions,
    | 'tickMs'
    | 'leadFloorMs'
    | 'leadMaxMs'
    | 'stallReportMs'
    | 'readyAheadS'
    | 'startAheadS'
    | 'pausedTolerance'
    | 'commandSeekThreshold'
    | 'playTolerance'
    | 'waitAheadMax'
    | 'settleMs'
    | 'restampMin'
    | 'gossipMs'
    | 'memberPlayDeferMs'
    | 'memberPlayMarginMs'
    | 'unmeasuredOneWayMs'
  >
>;

export function settingsOf(options: EngineOptions): EngineSettings {
  return {
    tickMs: options.tickMs ?? 100,
    leadFloorMs: options.leadFloorMs ?? 60,
    leadMaxMs: options.leadMaxMs ?? 1000,
    stallReportMs: options.stallReportMs ?? 400,
    readyAheadS: options.readyAheadS ?? 2,
    startAheadS: options.startAheadS ?? 0.5,
    pausedTolerance: options.pausedTolerance ?? 0.004,
    commandSeekThreshold: options.commandSeekThreshold ?? 0.08,
    playTolerance: options.playTolerance ?? 0.08,
    waitAheadMax: options.waitAheadMax ?? 1,
    settleMs: options.settleMs ?? 350,
    restampMin: options.restampMin ?? 0.025,
    gossipMs: options.gossipMs ?? 10_000,
    memberPlayDeferMs: options.memberPlayDeferMs ?? 30,
    memberPlayMarginMs: options.memberPlayMarginMs ?? 40,
    unmeasuredOneWayMs: options.unmeasuredOneWayMs ?? 100,
  };
}

export type CommandOrigin = 'local' | 'remote' | 'derived';

export interface EngineListeners {
  onCommand?: (cmd: SyncCommand, origin: CommandOrigin) => void;
  onRejected?: (reason: 'locked', action: CommandAction) => void;
  onBuffering?: (peer: string, on: boolean) => void;
  onDropped?: (peers: string[]) => void;
  onAutoplayBlocked?: () => void;
  onChange?: () => void;
}
