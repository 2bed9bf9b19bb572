/** Keyboard shortcuts of the player (when focus is on the video or the player bar, not in a field). */
export type PlayerKeyAction =
  | { kind: 'toggle' }
  | { kind: 'seekBy'; seconds: number }
  | { kind: 'mute' }
  | { kind: 'fullscreen' }
  | { kind: 'captions' };

export function playerKeyAction(key: string, targetTag: string): PlayerKeyAction | null {
  const tag = targetTag.toUpperCase();
  if (tag === 'INPUT' || tag === 'SELECT' || tag === 'TEXTAREA' || tag === 'BUTTON') return null;
  switch (key) {
    case ' ':
    case 'k':
      return { kind: 'toggle' };
    case 'ArrowLeft':
    case 'j':
      return { kind: 'seekBy', seconds: key === 'j' ? -10 : -5 };
    case 'ArrowRight':
    case 'l':
      return { kind: 'seekBy', seconds: key === 'l' ? 10 : 5 };
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
