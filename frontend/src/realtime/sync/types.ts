/**
 * Shared types of the sync engine. Times are milliseconds (server epoch unless said otherwise),
 * media positions and durations are seconds, like HTMLMediaElement.currentTime.
 */
/** The room's playback as a timeline: where it was at server time `at`, and how it moves from there. */
export interface SyncState {
  playing: boolean;
  /** Media position (s) at server time `at`. */
  position: number;
  /** Server epoch ms at which `position` holds; also the ordering key of states. */
  at: number;
  rate: number;
  /** Id of the command that produced this state (tie-break for equal `at`). */
  id: string;
  /** The content this timeline is about; states about another film are ignored. */
  content?: string | null;
}

/**
 * `restamp`: the issuer of a play, once its media really moves, puts the timeline where the media is
 * (its start took longer than it allowed for); peers steer onto it without restarting.
 */
export type CommandAction = 'play' | 'pause' | 'seek' | 'rate' | 'hold' | 'resume' | 'state' | 'restamp';

/** A playback command as it travels between peers: the state it establishes plus who and when. */
export interface SyncCommand {
  id: string;
  action: CommandAction;
  state: SyncState;
  /** Server ms at which the issuer created the command (state.at may be later: the lead). */
  issued: number;
  /** Peer id, user id and display name of the issuer ('' for derived commands). */
  peer: string;
  user: string;
  name: string;
  /** The film is encoded only so far: a seek was clamped to the encoded edge, or a hold waits there. */
  edge?: boolean;
}

/** Source of server time: local clock corrected by the estimated offset. */
export interface ServerClock {
  /** Current server time estimate, epoch ms. */
  now(): number;
}

export type TimerHandle = unknown;

export interface Timers {
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** HTMLMediaElement readyState values the engine cares about. */
export const HAVE_CURRENT_DATA = 2;
export const HAVE_FUTURE_DATA = 3;

/** How far a member's stream is encoded (s) and whether it still grows (its playlist has no end yet). */
export interface EncodedEdge {
  edge: number;
  growing: boolean;
}

/** What the engine needs from a media element (the real <video> or a fake in tests). */
export interface MediaLike {
  readonly currentTime: number;
  readonly paused: boolean;
  readonly playbackRate: number;
  readonly readyState: number;
  readonly seeking: boolean;
  /** Seconds; NaN or Infinity when unknown. */
  readonly duration: number;
  /** Seconds of media buffered ahead of currentTime (contiguous). */
  bufferedAhead(): number;
  /** How far its stream is encoded while the film is still being encoded (null: a whole film). */
  encodedEdge?(): EncodedEdge | null;
  play(): Promise<void> | void;
  pause(): void;
  seek(position: number): void;
  setRate(rate: number): void;
}

/** Media events the engine is told about (the DOM adapter forwards them). */
export type MediaEventKind = 'play' | 'pause' | 'seeking' | 'seeked' | 'ratechange' | 'waiting' | 'playing' | 'canplay';

/** Wire messages the engine sends and understands. */
export type SyncWire =
  | { type: 'cmd'; cmd: SyncCommand }
  | { type: 'state'; state: SyncState; locked?: boolean }
  /** `edge`: the sender will wait at that encoded position (s), for the encoder rather than its network. */
  | { type: 'buffering'; peer: string; on: boolean; at: number; edge?: number }
  /** How far the sender's stream is encoded (s), while its film is still being encoded. */
  | { type: 'edge'; peer: string; edge: number; growing: boolean; content?: string | null };

export interface SyncTransport {
  broadcast(message: SyncWire): void;
}
