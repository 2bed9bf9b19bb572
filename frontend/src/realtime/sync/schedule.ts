import type { CommandOrigin } from './options';
import { isNewer } from './state';
import type { ServerClock, SyncCommand, SyncState, TimerHandle, Timers } from './types';

/**
 * Commands that take effect later (a play or pause stamped `now + lead`), each waiting for its
 * moment; a timer wakes the engine for the next one due.
 */
export class CommandSchedule {
  private pending: SyncCommand[] = [];
  private timer: TimerHandle | null = null;

  constructor(
    private readonly clock: ServerClock,
    private readonly timers: Timers,
    /** When a command is due (server ms); it may change as the timeline in force changes. */
    private readonly dueAt: (cmd: SyncCommand) => number,
    /** Run the commands now due (the engine takes them with takeDue). */
    private readonly runDue: (origin: CommandOrigin) => void,
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
    return this.pending.some((c) => c.id === id);
  }

  /** A waiting command establishes the state with this id. */
  hasState(id: string): boolean {
    return this.pending.some((c) => c.state.id === id);
  }

  /** The newest of `base` and the states waiting. */
  newest(base: SyncState): SyncState {
    let s = base;
    for (const c of this.pending) if (isNewer(c.state, s)) s = c.state;
    return s;
  }

  anyDue(now: number): boolean {
    return this.pending.some((c) => this.dueAt(c) <= now + 1);
  }

  add(cmd: SyncCommand, origin: CommandOrigin): void {
    this.pending.push(cmd);
    this.pending.sort((a, b) => (isNewer(a.state, b.state) ? 1 : -1));
    this.arm(origin);
  }

  /** Removes and returns the commands due now, oldest first. */
  takeDue(now: number): SyncCommand[] {
    const due = this.pending.filter((c) => this.dueAt(c) <= now + 1);
    if (due.length > 0) this.pending = this.pending.filter((c) => this.dueAt(c) > now + 1);
    return due;
  }

  /** Sets the timer for the next command due. */
  arm(origin: CommandOrigin): void {
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
    if (this.pending.length === 0) return;
    const next = Math.min(...this.pending.map((c) => this.dueAt(c)));
    const delay = Math.max(0, next - this.clock.now());
    this.timer = this.timers.setTimeout(() => {
      this.timer = null;
      this.runDue(origin);
    }, delay);
  }
}
