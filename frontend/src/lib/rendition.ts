import type { Container, Rendition } from '../api/types';

export const WEBM_TYPE = 'video/webm; codecs="vp9,opus"';
export const MP4_TYPE = 'video/mp4; codecs="avc1.640028,mp4a.40.2"';

export type CanPlayType = (type: string) => string;

/** webm (VP9 + Opus) when the browser says it can play it, else mp4. */
export function preferredContainer(canPlayType: CanPlayType): Container {
  const answer = canPlayType(WEBM_TYPE);
  return answer === 'probably' || answer === 'maybe' ? 'webm' : 'mp4';
}

function playable(r: Rendition): boolean {
  return Boolean(r.url) && (r.status === undefined || r.status === 'ready');
}

/** The renditions of one container, smallest first; falls back to the other container when it has none. */
export function renditionsFor(renditions: Rendition[], container: Container): Rendition[] {
  const ready = renditions.filter(playable);
  const same = ready.filter((r) => r.container === container);
  const list = same.length ? same : ready;
  return [...list].sort((a, b) => a.height - b.height || a.width - b.width);
}

export interface PickOptions {
  container: Container;
  /** CSS pixels available for the video (usually the viewport or player width). */
  viewportWidth: number;
  devicePixelRatio?: number;
  /** A height the person chose in the quality menu; null for automatic. */
  height?: number | null;
}

/**
 * The best rendition for the screen: the smallest one at least as wide as the physical pixels
 * available (so nothing is wasted), or the largest there is when none is that wide.
 */
export function pickRendition(renditions: Rendition[], options: PickOptions): Rendition | null {
  const list = renditionsFor(renditions, options.container);
  if (!list.length) return null;
  if (options.height) {
    const exact = list.find((r) => r.height === options.height);
    if (exact) return exact;
  }
  const dpr = Math.min(Math.max(options.devicePixelRatio ?? 1, 1), 2);
  const needed = Math.max(1, options.viewportWidth) * dpr;
  const wideEnough = list.find((r) => r.width >= needed * 0.9);
  return wideEnough ?? list[list.length - 1];
}

/** The distinct heights playable in one container, highest first (the quality menu's rungs). */
export function renditionHeights(renditions: Rendition[], container: Container): number[] {
  return Array.from(new Set(renditionsFor(renditions, container).map((r) => r.height))).sort((a, b) => b - a);
}

/** A rung's name: "1080p HD", "2160p 4K", "480p" (no parentheses, so it can stand inside "Auto (…)"). */
export function qualityLabel(height: number): string {
  if (height >= 2160) return `${height}p 4K`;
  if (height >= 720) return `${height}p HD`;
  return `${height}p`;
}

export function mimeFor(container: Container): string {
  return container === 'webm' ? 'video/webm' : 'video/mp4';
}
