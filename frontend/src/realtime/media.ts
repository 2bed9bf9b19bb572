/** The page's <video> as the sync engine's MediaLike, and its events forwarded to the engine. */
import { encodedEdgeOf } from '../lib/streamEdge';
import type { EncodedEdge, MediaEventKind, MediaLike } from './sync/types';

export class DomMedia implements MediaLike {
  readonly video: HTMLVideoElement;

  constructor(video: HTMLVideoElement) {
    this.video = video;
  }

  get currentTime(): number {
    return this.video.currentTime;
  }

  get paused(): boolean {
    return this.video.paused;
  }

  get playbackRate(): number {
    return this.video.playbackRate;
  }

  get readyState(): number {
    return this.video.readyState;
  }

  get seeking(): boolean {
    return this.video.seeking;
  }

  get duration(): number {
    return this.video.duration;
  }

  bufferedAhead(): number {
    const t = this.video.currentTime;
    const b = this.video.buffered;
    for (let i = 0; i < b.length; i += 1) {
      if (b.start(i) <= t + 0.05 && b.end(i) >= t) return b.end(i) - t;
    }
    return 0;
  }

  encodedEdge(): EncodedEdge | null {
    return encodedEdgeOf(this.video);
  }

  play(): Promise<void> {
    return this.video.play();
  }

  pause(): void {
    this.video.pause();
  }

  seek(position: number): void {
    this.video.currentTime = position;
  }

  setRate(rate: number): void {
    this.video.playbackRate = rate;
  }
}

const KINDS: MediaEventKind[] = ['play', 'pause', 'seeking', 'seeked', 'ratechange', 'waiting', 'playing', 'canplay'];

/** Forwards the video's media events; returns the unbinding function. */
export function bindMediaEvents(video: HTMLVideoElement, handler: (kind: MediaEventKind, at: number) => void): () => void {
  const listeners = KINDS.map((kind) => {
    // a player being taken out of the page pauses: that is no member's doing
    const fn = (): void => {
      if (video.isConnected) handler(kind, performance.now());
    };
    video.addEventListener(kind, fn);
    return [kind, fn] as const;
  });
  return () => listeners.forEach(([kind, fn]) => video.removeEventListener(kind, fn));
}

/**
 * Lowers the film while someone talks, restoring the member's own volume afterwards; volume changes
 * the member makes meanwhile become the new level to restore.
 */
export class Ducker {
  private video: HTMLVideoElement | null = null;
  private userVolume = 1;
  private ducked = false;
  private applying = false;
  private unbind: (() => void) | null = null;
  factor = 0.35;

  attach(video: HTMLVideoElement | null): void {
    this.restore();
    this.unbind?.();
    this.unbind = null;
    this.video = video;
    if (!video) return;
    this.userVolume = video.volume;
    const onVolume = (): void => {
      if (this.applying || !this.video) return;
      this.userVolume = this.ducked ? Math.min(1, this.video.volume / this.factor) : this.video.volume;
    };
    video.addEventListener('volumechange', onVolume);
    this.unbind = () => video.removeEventListener('volumechange', onVolume);
  }

  private set(volume: number): void {
    if (!this.video) return;
    this.applying = true;
    this.video.volume = Math.max(0, Math.min(1, volume));
    // volumechange is dispatched asynchronously
    setTimeout(() => {
      this.applying = false;
    }, 0);
  }

  duck(on: boolean): void {
    if (on === this.ducked || !this.video) return;
    if (on) {
      this.userVolume = this.video.volume;
      this.ducked = true;
      this.set(this.userVolume * this.factor);
    } else {
      this.restore();
    }
  }

  restore(): void {
    if (!this.ducked) return;
    this.ducked = false;
    this.set(this.userVolume);
  }

  get isDucked(): boolean {
    return this.ducked;
  }
}
