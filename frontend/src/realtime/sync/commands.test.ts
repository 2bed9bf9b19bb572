import { describe, expect, it } from 'vitest';
import { issueCommand, memberTimeline } from './commands';
import type { SyncState } from './types';

const paused: SyncState = { playing: false, position: 5, at: 0, rate: 1.25, id: 'x' };
const media = { position: 42, rate: 1.5 };

describe('commands', () => {
  it("a member's play is stamped with the start-up latency, a pause and a rate change at once", () => {
    expect(memberTimeline('play', media, paused, 1000, 0.03, 400)).toEqual({ playing: true, position: 42, at: 1030, rate: 1.25 });
    expect(memberTimeline('pause', media, { ...paused, playing: true }, 1000, 0.03, 400)).toEqual({ playing: false, position: 42, at: 1000, rate: 1.25 });
    expect(memberTimeline('rate', media, paused, 1000, 0.03, 400)).toEqual({ playing: false, position: 42, at: 1000, rate: 1.5 });
  });

  it("a member's seek restarts a playing room after the seek lead, a paused one at once", () => {
    expect(memberTimeline('seek', media, { ...paused, playing: true }, 1000, 0.03, 400).at).toBe(1400);
    expect(memberTimeline('seek', media, paused, 1000, 0.03, 400).at).toBe(1000);
  });

  it('an issued command carries a fresh id in its state, the film and the issuer', () => {
    const self = { peer: 'A', user: 'u', name: 'Ann' };
    const a = issueCommand(self, 'play', { ...paused, playing: true }, 'film', 7);
    const b = issueCommand(self, 'play', { ...paused, playing: true }, 'film', 7);
    expect(a.id).not.toBe(b.id);
    expect(a.state.id).toBe(a.id);
    expect(a).toMatchObject({ action: 'play', issued: 7, peer: 'A', user: 'u', name: 'Ann', state: { content: 'film' } });
  });
});
