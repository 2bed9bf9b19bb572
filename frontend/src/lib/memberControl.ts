/**
 * The player's own controls (buttons, seek bar, keys) say what they just did to a <video>, in the same task.
 * A room's sync engine would otherwise learn of a member's play, pause or seek from the media's event, which
 * the browser dispatches only once the page's main thread is free again: on a busy page that is tens of ms
 * that every other member waits too. The media's events still come, and still tell of whatever else acts on
 * the element (a page script, the browser's own media keys).
 */
export type ControlKind = 'play' | 'pause' | 'seeking';
export type ControlListener = (kind: ControlKind) => void;

const listeners = new WeakMap<HTMLMediaElement, ControlListener>();

/** Whoever drives `media` hears its controls (null: it no longer does). */
export function listenToControls(media: HTMLMediaElement, listener: ControlListener | null): void {
  if (listener) listeners.set(media, listener);
  else listeners.delete(media);
}

/** The controls have just played, paused or seeked `media`: tell whoever drives it, if anyone does. */
export function reportControl(media: HTMLMediaElement, kind: ControlKind): void {
  listeners.get(media)?.(kind);
}
