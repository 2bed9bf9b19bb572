import { describe, expect, it } from 'vitest';
import { playerKeyAction } from './playerKeys';

describe('playerKeyAction', () => {
  it('maps the usual keys', () => {
    expect(playerKeyAction(' ', 'VIDEO')).toEqual({ kind: 'toggle' });
    expect(playerKeyAction('ArrowRight', 'video')).toEqual({ kind: 'seekBy', seconds: 5 });
    expect(playerKeyAction('j', 'DIV')).toEqual({ kind: 'seekBy', seconds: -10 });
    expect(playerKeyAction('c', 'DIV')).toEqual({ kind: 'captions' });
    expect(playerKeyAction('x', 'DIV')).toBeNull();
  });
  it('leaves form fields alone', () => {
    expect(playerKeyAction(' ', 'INPUT')).toBeNull();
    expect(playerKeyAction('k', 'SELECT')).toBeNull();
  });
});
