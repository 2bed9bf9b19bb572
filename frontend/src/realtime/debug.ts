/**
 * `window.__flmnchllSync`: a session's figures and playback controls for the browser checks and
 * benchmarks (see README, "Figures for checks and benchmarks").
 */
import type { ChatLog, ChatLine } from './chat/chat';
import type { Mesh, MeshStatus } from './mesh/mesh';
import type { ClockSync } from './sync/clock';
import type { EngineStats, SyncEngine } from './sync/engine';
import { positionAt } from './sync/state';
import type { SyncState } from './sync/types';
import type { VoiceView } from './snapshot';
import type { Voice } from './voice/voice';

export interface SyncDebug {
  readonly drift: number;
  readonly offset: number;
  readonly rtt: number;
  /** The clock this member follows (its own peer id: its own HTTP estimate) and the round trip bounding it. */
  readonly clockSource: { reference: string; rttMs: number };
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

export interface DebugParts {
  engine: SyncEngine;
  clock: ClockSync;
  mesh: Mesh;
  voice: Voice;
  chat: ChatLog;
  voiceView: () => VoiceView;
  clockSource: () => { reference: string; rttMs: number };
}

/** Puts a session's figures on the window (outside a browser, does nothing and returns null). */
export function installDebug({ engine, clock, mesh, voice, chat, voiceView, clockSource }: DebugParts): SyncDebug | null {
  if (typeof window === 'undefined') return null;
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
    get clockSource() {
      return clockSource();
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
  window.__flmnchllSync = debug;
  return debug;
}

/** Takes the figures off the window, unless another session has put its own there since. */
export function removeDebug(debug: SyncDebug | null): void {
  if (typeof window !== 'undefined' && window.__flmnchllSync && debug && window.__flmnchllSync === debug) {
    delete window.__flmnchllSync;
  }
}
