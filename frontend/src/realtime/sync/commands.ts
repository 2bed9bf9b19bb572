import type { EngineIdentity } from './options';
import type { CommandAction, SyncCommand, SyncState } from './types';

let idCounter = 0;

/** An id no other peer makes: the issuer, the time, a counter and a little randomness. */
function newCommandId(peer: string): string {
  idCounter += 1;
  return `${peer}:${Date.now().toString(36)}:${idCounter.toString(36)}:${Math.random().toString(36).slice(2, 7)}`;
}

/** A command this peer issues: the timeline it establishes, under a new id, about the film in `content`. */
export function issueCommand(
  self: EngineIdentity,
  action: CommandAction,
  state: Omit<SyncState, 'id'>,
  content: string | null,
  issued: number,
): SyncCommand {
  const id = newCommandId(self.peer);
  return {
    id,
    action,
    state: { ...state, id, content },
    issued,
    peer: self.peer,
    user: self.user,
    name: self.name,
  };
}

/**
 * The timeline a member's own action on the media sets, from where the media is (`position`, and the
 * `rate` it was set to) and the newest timeline known (`base`). A play is stamped with the media's
 * start-up latency (it moves only then); a seek while playing is a synchronised restart `seekLeadMs`
 * later, everyone (this peer too) loading the new position and starting from it together.
 */
export function memberTimeline(
  action: CommandAction,
  media: { position: number; rate: number },
  base: SyncState,
  now: number,
  playLatencyS: number,
  seekLeadMs: number,
): Omit<SyncState, 'id'> {
  const { position } = media;
  switch (action) {
    case 'play':
      return { playing: true, position, at: now + playLatencyS * 1000, rate: base.rate };
    case 'pause':
      return { playing: false, position, at: now, rate: base.rate };
    case 'rate':
      return { playing: base.playing, position, at: now, rate: media.rate };
    default: {
      const lead = base.playing ? seekLeadMs : 0;
      return { playing: base.playing, position, at: now + lead, rate: base.rate };
    }
  }
}
