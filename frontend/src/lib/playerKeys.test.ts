import { describe, expect, it } from 'vitest';
import { keyTargetOf, playerKeyAction } from './playerKeys';

describe('playerKeyAction', () => {
  it('maps the usual keys anywhere on the page', () => {
    expect(playerKeyAction({ key: ' ' }, 'other')).toEqual({ kind: 'toggle' });
    expect(playerKeyAction({ key: 'k' }, 'control')).toEqual({ kind: 'toggle' });
    expect(playerKeyAction({ key: 'K' }, 'other')).toEqual({ kind: 'toggle' });
    expect(playerKeyAction({ key: 'ArrowRight' }, 'other')).toEqual({ kind: 'seekBy', seconds: 5 });
    expect(playerKeyAction({ key: 'ArrowLeft' }, 'control')).toEqual({ kind: 'seekBy', seconds: -5 });
    expect(playerKeyAction({ key: 'j' }, 'other')).toEqual({ kind: 'seekBy', seconds: -10 });
    expect(playerKeyAction({ key: 'l' }, 'slider')).toEqual({ kind: 'seekBy', seconds: 10 });
    expect(playerKeyAction({ key: 'm' }, 'other')).toEqual({ kind: 'mute' });
    expect(playerKeyAction({ key: 'f' }, 'control')).toEqual({ kind: 'fullscreen' });
    expect(playerKeyAction({ key: 'c' }, 'other')).toEqual({ kind: 'captions' });
    expect(playerKeyAction({ key: 'x' }, 'other')).toBeNull();
  });

  it('never fires while typing (chat, fields, menus) or with a modifier', () => {
    for (const key of [' ', 'k', 'j', 'l', 'f', 'm', 'c', 'ArrowLeft', 'ArrowRight']) {
      expect(playerKeyAction({ key }, 'text')).toBeNull();
    }
    expect(playerKeyAction({ key: 'f', ctrlKey: true }, 'other')).toBeNull();
    expect(playerKeyAction({ key: 'l', metaKey: true }, 'other')).toBeNull();
    expect(playerKeyAction({ key: 'k', altKey: true }, 'other')).toBeNull();
  });

  it('leaves space to buttons and arrows to sliders', () => {
    expect(playerKeyAction({ key: ' ' }, 'control')).toBeNull();
    expect(playerKeyAction({ key: 'ArrowLeft' }, 'slider')).toBeNull();
    expect(playerKeyAction({ key: 'ArrowRight' }, 'slider')).toBeNull();
    expect(playerKeyAction({ key: ' ' }, 'slider')).toEqual({ kind: 'toggle' });
  });
});

describe('keyTargetOf', () => {
  it('tells fields, controls and sliders apart', () => {
    expect(keyTargetOf({ tagName: 'INPUT', type: 'text' })).toBe('text');
    expect(keyTargetOf({ tagName: 'input', type: 'search' })).toBe('text');
    expect(keyTargetOf({ tagName: 'TEXTAREA' })).toBe('text');
    expect(keyTargetOf({ tagName: 'DIV', isContentEditable: true })).toBe('text');
    expect(keyTargetOf({ tagName: 'SELECT' })).toBe('text');
    expect(keyTargetOf({ tagName: 'INPUT', type: 'range' })).toBe('slider');
    expect(keyTargetOf({ tagName: 'INPUT', type: 'checkbox' })).toBe('control');
    expect(keyTargetOf({ tagName: 'BUTTON' })).toBe('control');
    expect(keyTargetOf({ tagName: 'VIDEO' })).toBe('other');
    expect(keyTargetOf(null)).toBe('other');
  });
});
