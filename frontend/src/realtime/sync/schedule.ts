import type { CommandOrigin } from './options';
import { isNewer } from './state';
import type { ServerClock, SyncCommand, SyncState, TimerHandle, Timers } from './types';

/** A command waiting for its moment, and where it came from (this member, a peer, or derived here). */
export interface ScheduledCommand {
  cmd: SyncCommand;
  origin: CommandOrigin;
}

/**
 * Commands that take effect later (a play or pause stamped `now + lead`), each waiting for its
 * moment; a timer wakes the engine for the next one due. Each keeps its own origin: whoever runs it
 * (the timer, or the engine's tick when that comes first), a member's own play is still reported as
 * theirs, and a peer's is not.
 */
export class CommandSchedule {
  private pending: ScheduledCommand[] = [];
  private timer: TimerHandle | null = null;

  constructor(
    private readonly clock: ServerClock,
    private readonly timers: Timers,
    /** When a command is due (server ms); it may change as the timeline in force changes. */
    private readonly dueAt: (cmd: SyncCommand) => number,
    /** Run the commands now due (the engine takes them with takeDue). */
    private readonly runDue: () => void,
  ) {}

  /** Drops every waiting command (the timer, if armed, then finds nothing due). */
  clear(): void {
    this.pending = [];
  }

  stop(): void {
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
  }

  has(id: string): boolean {
    return this.pending.some((p) => p.cmd.id === id);
  }

  /** A waiting command establishes the state with this id. */
  hasState(id: string): boolean {
    return this.pending.some((p) => p.cmd.state.id === id);
  }

  /** The newest of `base` and the states waiting. */
  newest(base: SyncState): SyncState {
    let s = base;
    for (const { cmd } of this.pending) if (isNewer(cmd.state, s)) s = cmd.state;
    return s;
  }

  anyDue(now: number): boolean {
    return this.pending.some((p) => this.dueAt(p.cmd) <= now + 1);
  }

  add(cmd: SyncCommand, origin: CommandOrigin): void {
    this.pending.push({ cmd, origin });
    this.pending.sort((a, b) => (isNewer(a.cmd.state, b.cmd.state) ? 1 : -1));
    this.arm();
  }

  /** Removes and returns the commands due now, oldest first. */
  takeDue(now: number): ScheduledCommand[] {
    const due = this.pending.filter((p) => this.dueAt(p.cmd) <= now + 1);
    if (due.length > 0) this.pending = this.pending.filter((p) => this.dueAt(p.cmd) > now + 1);
    return due;
  }

  /** Sets the timer for the next command due. */
  arm(): void {
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
    if (this.pending.length === 0) return;
    const next = Math.min(...this.pending.map((p) => this.dueAt(p.cmd)));
    const delay = Math.max(0, next - this.clock.now());
    this.timer = this.timers.setTimeout(() => {
      this.timer = null;
      this.runDue();
    }, delay);
  }
}
