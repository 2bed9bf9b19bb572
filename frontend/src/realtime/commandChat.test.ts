import { describe, expect, it } from 'vitest';
import { commandLine, filmChangeLine, lockLine } from './commandChat';
import type { SyncCommand } from './sync/types';

function cmd(action: SyncCommand['action'], position: number): SyncCommand {
  return { id: 'c', action, state: { playing: true, position, at: 0, rate: 1.5, id: 'c' }, issued: 0, peer: 'p2', user: 'u', name: 'Ann' };
}

describe('command chat lines', () => {
  it('says who did what where (m:ss, or h:mm:ss from an hour); a hold names the peer waited for; gossip says nothing', () => {
    const nameOf = (p: string): string => (p === 'p2' ? 'Bob' : 'someone');
    expect(commandLine(cmd('pause', 62.9), 'Ann', nameOf)).toBe('Ann paused at 1:02.');
    expect(commandLine(cmd('play', 3723), 'Ann', nameOf)).toBe('Ann played at 1:02:03.');
    expect(commandLine(cmd('seek', 5), 'Ann', nameOf)).toBe('Ann jumped to 0:05.');
    expect(commandLine(cmd('seek', -5), 'Ann', nameOf)).toBe('Ann jumped to 0:00.');
    expect(commandLine(cmd('rate', 5), 'Ann', nameOf)).toBe('Ann set the speed to 1.5×.');
    expect(commandLine(cmd('hold', 5), 'Ann', nameOf)).toBe('Bob is buffering, waiting…');
    expect(commandLine(cmd('state', 5), 'Ann', nameOf)).toBeNull();
    expect(commandLine(cmd('restamp', 5), 'Ann', nameOf)).toBeNull();
  });

  it('says when the film is encoded only so far: a seek stopped at the edge, the room waiting there', () => {
    const nameOf = (): string => 'Bob';
    expect(commandLine({ ...cmd('seek', 83.8), edge: true }, 'Ann', nameOf)).toBe('Ann jumped to 1:23: the film is encoded only up to there so far.');
    expect(commandLine({ ...cmd('hold', 83.8), edge: true }, 'Ann', nameOf)).toBe('Waiting at 1:23 for more of the film to be encoded…');
  });
});

describe('room event lines', () => {
  it('tells a film the vote started (playing) from one the host put on (paused at the start)', () => {
    expect(filmChangeLine({ state: 'playing', position: 0, rate: 1 })).toBe('Film changed by vote.');
    expect(filmChangeLine({ playing: true, position: 0, rate: 1 })).toBe('Film changed by vote.');
    expect(filmChangeLine({ state: 'paused', position: 0, rate: 1 })).toBe('The host changed the film.');
    expect(filmChangeLine(null)).toBe('The host changed the film.');
  });
  it('says who may control playback', () => {
    expect(lockLine(true)).toBe('The host locked playback.');
    expect(lockLine(false)).toBe('Anyone can control playback.');
  });
});
