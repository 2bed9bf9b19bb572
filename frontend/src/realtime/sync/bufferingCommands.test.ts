import { describe, expect, it } from 'vitest';
import { holdCommand, resumeCommand } from './bufferingCommands';
import type { SyncState } from './types';

const playing: SyncState = { playing: true, position: 10, at: 1000, rate: 1, id: 'p', content: 'film' };

describe('buffering commands', () => {
  it('a hold pauses where the timeline is at the hold, within the film', () => {
    const hold = holdCommand({ kind: 'hold', id: 'h', at: 3000, peer: 'B' }, playing, 100, 'film');
    expect(hold.action).toBe('hold');
    expect(hold.state).toEqual({ playing: false, position: 12, at: 3000, rate: 1, id: 'h', content: 'film' });
    expect(holdCommand({ kind: 'hold', id: 'h', at: 3000, peer: 'B' }, playing, 11.5, null).state.position).toBeCloseTo(11.45);
  });

  it('a resume plays from the hold, unless somebody changed the timeline since', () => {
    const held: SyncState = { playing: false, position: 12, at: 3000, rate: 1, id: 'h', content: 'film' };
    const effect = { kind: 'resume' as const, id: 'r', holdId: 'h', at: 5000, dropped: [] };
    expect(resumeCommand(effect, held, 'hold', 'film')?.state).toEqual({ ...held, playing: true, at: 5000, id: 'r' });
    expect(resumeCommand(effect, { ...held, id: 'x' }, 'pause', 'film')).toBeNull();
    // a seek during the hold keeps the intent to play
    expect(resumeCommand(effect, { ...held, id: 's', at: 6000 }, 'seek', 'film')?.state.at).toBe(6000);
  });
});
