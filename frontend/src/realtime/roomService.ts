/**
 * What a session tells the room service and hears back: a heartbeat every few seconds (answered with
 * the room's state), joining again when the service no longer knows this member, and a report of each
 * playback command for late joiners and recovery.
 */
import type { JoinRoomResponse, RealtimeApi, RoomStateAnswer } from './api';
import type { SyncCommand } from './sync/types';

/** How long a playback report to the room service waits behind the command it reports (ms). */
const REPORT_DELAY_MS = 300;

type PlaybackReport = Parameters<RealtimeApi['playback']>[1];

/** The room service's record of a command (a hold is a pause, a resume or restamp a play), or null. */
export function playbackReportOf(cmd: SyncCommand): PlaybackReport | null {
  const action = cmd.action === 'hold' ? 'pause' : cmd.action === 'resume' || cmd.action === 'restamp' ? 'play' : cmd.action;
  if (action !== 'play' && action !== 'pause' && action !== 'seek' && action !== 'rate') return null;
  return { action, position: Math.max(0, cmd.state.position), rate: cmd.state.rate, at: cmd.state.at };
}

export interface RoomServiceHooks {
  /** Where the page's video is, for the heartbeat (empty without one). */
  position(): { position?: number; playing?: boolean };
  /** The service answered with the room's state. */
  onState(answer: RoomStateAnswer): void;
  /** This member joined the room again (a fresh peer id or token). */
  onRejoined(room: JoinRoomResponse): void;
  /** The room's owner removed this member: the heartbeats have stopped. */
  onRemoved?(): void;
}

export class RoomService {
  private heartbeatTimer: ReturnType<typeof setInterval> | null = null;
  private renewing: Promise<void> | null = null;
  private reports = new Set<{ send: () => void; timer: ReturnType<typeof setTimeout> | null }>();

  constructor(
    private readonly api: RealtimeApi,
    private readonly roomId: string,
    private readonly heartbeatMs: number,
    private readonly hooks: RoomServiceHooks,
  ) {}

  start(): void {
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), this.heartbeatMs);
    void this.heartbeat();
  }

  /** Stops the heartbeat; the reports still waiting go out at once. */
  stop(): void {
    if (this.heartbeatTimer !== null) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
    this.flushReports();
  }

  async heartbeat(): Promise<void> {
    const body = this.hooks.position();
    try {
      const answer = await this.api.heartbeat(this.roomId, body);
      if (answer && typeof answer === 'object') this.hooks.onState(answer);
    } catch (err) {
      const status = err && typeof err === 'object' && 'status' in err ? Number((err as { status: unknown }).status) : 0;
      const code = err && typeof err === 'object' && 'code' in err ? String((err as { code: unknown }).code) : '';
      if (status === 409 || status === 404) void this.joinAgain();
      if (status === 403 && code === 'removed' && this.heartbeatTimer !== null) {
        // nothing in the room is this member's any more, a hidden page included: stop asking
        this.stop();
        this.hooks.onRemoved?.();
      }
    }
  }

  /** Dropped from the room (heartbeats lapsed), or the room moved to another signalling server: join again and
   * re-register. */
  joinAgain(): Promise<void> {
    if (this.renewing) return this.renewing;
    this.renewing = (async () => {
      try {
        const room = await this.api.join(this.roomId);
        this.hooks.onRejoined(room);
      } catch {
        // the next heartbeat tries again
      } finally {
        this.renewing = null;
      }
    })();
    return this.renewing;
  }

  /** Reports a playback command to the room service (commands it keeps no record of are left out). */
  reportPlayback(cmd: SyncCommand): void {
    const body = playbackReportOf(cmd);
    if (body === null) return;
    this.report(() => void this.api.playback(this.roomId, body).catch(() => undefined));
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
}
