import { describe, expect, it } from 'vitest';
import { CommandFigures } from './figures';
import type { SyncCommand } from './types';

function cmd(id: string, name: string): SyncCommand {
  return { id, action: 'play', state: { playing: true, position: 0, at: 1200, rate: 1, id }, issued: 1000, peer: 'p', user: 'u', name };
}

describe('CommandFigures', () => {
  it('times a received command by its propagation, one issued here as instant, and a derived one not at all', () => {
    const f = new CommandFigures();
    f.noteCommand(cmd('r', ''), 'remote', 1007);
    expect(f.lastCommand).toEqual({
      id: 'r',
      action: 'play',
      by: 'u',
      origin: 'remote',
      issued: 1000,
      at: 1200,
      received: 1007,
      applied: null,
      delayMs: 7,
    });
    expect(f.propagationP(50)).toBe(7);
    f.noteCommand(cmd('l', 'Ann'), 'local', 1010);
    expect(f.lastCommand).toMatchObject({ id: 'l', by: 'Ann', origin: 'local', received: 1010, delayMs: 0 });
    f.noteCommand(cmd('d', 'Ann'), 'derived', 1020);
    expect(f.lastCommand?.id).toBe('l');
    f.noteApplied('l', 1200);
    expect(f.lastCommand?.applied).toBe(1200);
    expect(f.propagationP(95)).toBe(7);
  });
});
