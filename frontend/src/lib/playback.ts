/**
 * How the page's <video> gets an item's picture: its adaptive HLS stream through hls.js (Media Source
 * Extensions), the browser's own HLS (Safari on iOS has it but no MSE), or the progressive files.
 */
import type { ContentStream } from '../api/types';

export type Playback = 'hls.js' | 'native' | 'progressive';

export interface BrowserMedia {
  /** Media Source Extensions (or Safari's ManagedMediaSource), which hls.js feeds. */
  mse: boolean;
  /** `<video>` plays an HLS playlist by itself. */
  nativeHls: boolean;
}

export const HLS_TYPE = 'application/vnd.apple.mpegurl';

/** hls.js wherever it can run; native HLS without MSE; the files when neither, or before the stream exists. */
export function choosePlayback(stream: ContentStream | null | undefined, media: BrowserMedia): Playback {
  if (!stream?.url) return 'progressive';
  if (media.mse) return 'hls.js';
  if (media.nativeHls) return 'native';
  return 'progressive';
}

/** What this browser offers, asked of a probe element (no side effect on the page's own). */
export function browserMedia(win: Window & typeof globalThis, probe: HTMLVideoElement): BrowserMedia {
  const answer = probe.canPlayType(HLS_TYPE);
  const w = win as unknown as { MediaSource?: unknown; ManagedMediaSource?: unknown };
  return { mse: Boolean(w.MediaSource ?? w.ManagedMediaSource), nativeHls: answer === 'probably' || answer === 'maybe' };
}

export type CodecFamily = 'h264' | 'vp9';

/** The family of one RFC 6381 video codec ("avc1.640028", "vp09.00.31.08"), or null for another. */
export function codecFamily(videoCodec: string | undefined): CodecFamily | null {
  const codec = (videoCodec ?? '').trim().toLowerCase();
  if (codec.startsWith('avc1') || codec.startsWith('avc3')) return 'h264';
  if (codec.startsWith('vp09') || codec === 'vp9') return 'vp9';
  return null;
}

/** What a stream's level says about itself (hls.js's `Level` has these). */
export interface StreamLevel {
  videoCodec?: string;
  audioCodec?: string;
  height: number;
  bitrate: number;
}

export type IsTypeSupported = (mime: string) => boolean;

function supported(level: StreamLevel, isTypeSupported: IsTypeSupported): boolean {
  const codecs = [level.videoCodec, level.audioCodec].filter(Boolean).join(',');
  return isTypeSupported(`video/mp4; codecs="${codecs}"`);
}

/**
 * The one codec family automatic quality switches within: H.264 when the browser decodes it (cheaper to
 * decode, hardware almost everywhere), else VP9; null when it decodes neither.
 */
export function preferredFamily(levels: readonly StreamLevel[], isTypeSupported: IsTypeSupported): CodecFamily | null {
  for (const family of ['h264', 'vp9'] as const) {
    if (levels.some((l) => codecFamily(l.videoCodec) === family && supported(l, isTypeSupported))) return family;
  }
  return null;
}

/** Indices of the levels outside the family, highest first (so removing them one by one keeps the rest's indices). */
export function levelsToDrop(levels: readonly StreamLevel[], family: CodecFamily): number[] {
  return levels
    .map((l, i) => (codecFamily(l.videoCodec) === family ? -1 : i))
    .filter((i) => i >= 0)
    .reverse();
}
