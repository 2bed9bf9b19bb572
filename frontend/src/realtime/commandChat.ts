/** The chat's system lines about playback commands ("Ann paused at 1:02."). */
import { formatDuration } from '../lib/format';
import type { SyncCommand } from './sync/types';

/**
 * The line for a command issued by `who` (a hold names the peer it waits for, by `nameOf`), or null
 * for commands that say nothing to the members (a gossiped state, a restamp).
 */
export function commandLine(cmd: SyncCommand, who: string, nameOf: (peer: string) => string): string | null {
  // (a position just before the start reads as the start, not as unknown)
  const at = formatDuration(Math.max(0, cmd.state.position));
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
