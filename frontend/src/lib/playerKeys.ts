/**
 * Keyboard shortcuts of the player. They work wherever focus is on the page, except where the key
 * already means something: typing in a field (chat), or space and Enter on a button or menu.
 */
export type PlayerKeyAction =
  | { kind: 'toggle' }
  | { kind: 'seekBy'; seconds: number }
  | { kind: 'mute' }
  | { kind: 'fullscreen' }
  | { kind: 'captions' };

/** What has focus when a key is pressed, as far as the shortcuts care. */
export type KeyTarget = 'text' | 'control' | 'slider' | 'other';

const TEXT_INPUT_TYPES = new Set(['text', 'search', 'email', 'password', 'number', 'tel', 'url', 'date', 'time', '']);

/** Classifies a focused element: fields take every key, buttons and menus their own, sliders arrows. */
export function keyTargetOf(el: { tagName: string; isContentEditable?: boolean; type?: string } | null): KeyTarget {
  if (!el) return 'other';
  if (el.isContentEditable) return 'text';
  const tag = el.tagName.toUpperCase();
  if (tag === 'TEXTAREA') return 'text';
  if (tag === 'INPUT') {
    const type = (el.type ?? '').toLowerCase();
    if (type === 'range') return 'slider';
    if (TEXT_INPUT_TYPES.has(type)) return 'text';
    return 'control';
  }
  if (tag === 'SELECT') return 'text';
  if (tag === 'BUTTON' || tag === 'SUMMARY' || tag === 'A') return 'control';
  return 'other';
}

export interface KeyPress {
  key: string;
  altKey?: boolean;
  ctrlKey?: boolean;
  metaKey?: boolean;
}

const SMALL_SEEK_S = 5;
const BIG_SEEK_S = 10;

/** The player's action for a key press on `target`, or null when the key is left to the page. */
export function playerKeyAction(press: KeyPress, target: KeyTarget): PlayerKeyAction | null {
  if (target === 'text' || press.altKey || press.ctrlKey || press.metaKey) return null;
  const key = press.key.length === 1 ? press.key.toLowerCase() : press.key;
  switch (key) {
    case ' ':
      return target === 'control' ? null : { kind: 'toggle' };
    case 'k':
      return { kind: 'toggle' };
    case 'ArrowLeft':
      return target === 'slider' ? null : { kind: 'seekBy', seconds: -SMALL_SEEK_S };
    case 'ArrowRight':
      return target === 'slider' ? null : { kind: 'seekBy', seconds: SMALL_SEEK_S };
    case 'j':
      return { kind: 'seekBy', seconds: -BIG_SEEK_S };
    case 'l':
      return { kind: 'seekBy', seconds: BIG_SEEK_S };
    case 'm':
      return { kind: 'mute' };
    case 'f':
      return { kind: 'fullscreen' };
    case 'c':
      return { kind: 'captions' };
    default:
      return null;
  }
}
