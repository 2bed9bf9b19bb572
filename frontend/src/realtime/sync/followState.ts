import { clampToDuration, positionAt } from './state';
import type { EncodedEdge, MediaLike, SyncState } from './types';

/**
 * This peer's media and the timeline it follows: the facts that the parts moving the media (aligning,
 * restarting, steering, stall watch) all read, and some of them write, kept in one explicit place.
 */
export class FollowState {
  media: MediaLike | null;
  /** The timeline in force (what the room agreed on, as far as this peer knows). */
  target: SyncState = { playing: false, position: 0, at: 0, rate: 1, id: '' };
  /** The id of the timeline the media was last brought onto (null: bring it again). */
  alignedFor: string | null = null;

  constructor(media: MediaLike | null) {
    this.media = media;
  }

  /** Where the timeline is at server time `now` (s), within the media's duration. */
  expectedAt(now: number): number {
    return clampToDuration(positionAt(this.target, now), this.media?.duration ?? Number.NaN);
  }

  /** How far the media's stream is encoded, while its film is still being encoded. */
  edge(): EncodedEdge | null {
    return this.media?.encodedEdge?.() ?? null;
  }

  /**
   * The position lies at the very end of the film, where nothing is left to play. A film still being
   * encoded has no end yet: its duration is only how far it is encoded.
   */
  ended(position: number): boolean {
    const d = this.media?.duration ?? Number.NaN;
    if (this.edge()?.growing) return false;
    return Number.isFinite(d) && d > 0 && position >= d - 0.1;
  }
}
