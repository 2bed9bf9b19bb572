/** The chat's system lines about playback commands ("Ann paused at 1:02."). */
import type { SyncCommand } from './sync/types';

/** A film position as h:mm:ss, or m:ss under an hour. */
export function fmtTime(s: number): string {
  const t = Math.max(0, Math.floor(s));
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const sec = t % 60;
  const mm = h > 0 ? String(m).padStart(2, '0') : String(m);
  return `${h > 0 ? `${h}:` : ''}${mm}:${String(sec).padStart(2, '0')}`;
}

/**
 * The line for a command issued by `who` (a hold names the peer it waits for, by `nameOf`), or null
 * for commands that say nothing to the members (a gossiped state, a restamp).
 */
export function commandLine(cmd: SyncCommand, who: string, nameOf: (peer: string) => string): string | null {
  const at = fmtTime(cmd.state.position);
  switch (cmd.action) {
    case 'play':
      return `${who} played at ${at}.`;
    case 'pause':
      return `${who} paused at ${at}.`;
    case 'seek':
      return `${who} jumped to ${at}.`;
    case 'rate':
      return `${who} set the speed to ${cmd.state.rate}×.`;
    case 'hold':
      return `Paused: waiting for ${nameOf(cmd.peer)} to load.`;
    case 'resume':
      return 'Everyone is ready: playing again.';
    default:
      return null;
  }
}
