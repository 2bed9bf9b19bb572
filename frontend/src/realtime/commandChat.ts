/**
 * The words for what happens in a room ("Ann paused at 1:02."): each is a chat line, and the room's
 * actions are also shown as a notice on the player.
 */
import { formatDuration } from '../lib/format';
import type { RoomPlayback } from './api';
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
      return cmd.edge ? `${who} jumped to ${at}: the film is encoded only up to there so far.` : `${who} jumped to ${at}.`;
    case 'rate':
      return `${who} set the speed to ${cmd.state.rate}×.`;
    case 'hold':
      return cmd.edge ? `Waiting at ${at} for more of the film to be encoded…` : `${nameOf(cmd.peer)} is buffering, waiting…`;
    case 'resume':
      return 'Everyone is ready: playing again.';
    default:
      return null;
  }
}

/**
 * The line for a new film: the vote's winner starts playing at once, while the host's "play now"
 * starts paused.
 */
export function filmChangeLine(playback: RoomPlayback | null): string {
  const playing = playback ? (playback.state ?? (playback.playing ? 'playing' : 'paused')) === 'playing' : false;
  return playing ? 'Film changed by vote.' : 'The host changed the film.';
}

export function lockLine(locked: boolean): string {
  return locked ? 'The host locked playback.' : 'Anyone can control playback.';
}
