/**
 * How far the stream playing in a <video> is encoded while its film is still being encoded: the player
 * that feeds the element knows it from the playlists it loads, the room's sync engine asks for it.
 */
import type { EncodedEdge } from '../realtime/sync/types';

/** What a loaded media playlist says of itself (hls.js's `LevelDetails` has these). */
export interface PlaylistDetails {
  /** End of its last segment (s). */
  edge: number;
  /** No EXT-X-ENDLIST yet: it still grows. */
  live: boolean;
}

/** A media playlist's edge; null when it says nothing usable. */
export function edgeOfPlaylist(details: PlaylistDetails | null | undefined): EncodedEdge | null {
  if (!details || !Number.isFinite(details.edge) || details.edge < 0) return null;
  return { edge: details.edge, growing: details.live };
}

/**
 * The browser's own HLS (no hls.js) shows a growing playlist as a film without a known end
 * (`duration` Infinity) whose seekable range ends at its edge.
 */
export function edgeOfNativeStream(duration: number, seekableEnd: number | null): EncodedEdge | null {
  if (duration !== Number.POSITIVE_INFINITY || seekableEnd === null || !Number.isFinite(seekableEnd)) return null;
  return { edge: seekableEnd, growing: true };
}

const sources = new WeakMap<HTMLMediaElement, () => EncodedEdge | null>();

/** The player feeding `media` tells where its stream's edge is (null: it no longer feeds it). */
export function setEdgeSource(media: HTMLMediaElement, source: (() => EncodedEdge | null) | null): void {
  if (source) sources.set(media, source);
  else sources.delete(media);
}

/** How far the stream in `media` is encoded, or null for a whole film (or a progressive file). */
export function encodedEdgeOf(media: HTMLMediaElement): EncodedEdge | null {
  const source = sources.get(media);
  if (source) return source();
  const seekable = media.seekable;
  return edgeOfNativeStream(media.duration, seekable && seekable.length > 0 ? seekable.end(seekable.length - 1) : null);
}
