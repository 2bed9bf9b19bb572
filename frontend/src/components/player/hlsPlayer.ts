/**
 * hls.js on the page's one <video>, loaded on demand (its own chunk: pages without a stream never fetch it).
 */
import type Hls from 'hls.js';
import { levelsToDrop, preferredFamily } from '../../lib/playback';
import type { HlsQuality } from '../../lib/quality';
import { segmentGrid } from '../../lib/segmentGrid';
import { firstLoadEstimateS, plannedStart } from '../../lib/startPlan';
import { edgeOfPlaylist, setEdgeSource, type PlaylistDetails } from '../../lib/streamEdge';
import { EarlyPlaylistLoader } from './earlyPlaylist';

export interface HlsCallbacks {
  quality: HlsQuality;
  /** A fatal network error: the signed link may have expired, the parent fetches the item again. */
  onNetworkError: () => void;
  /** Nothing more to try. */
  onFatalError: () => void;
}

function isTypeSupported(mime: string): boolean {
  const w = window as unknown as { MediaSource?: typeof MediaSource; ManagedMediaSource?: typeof MediaSource };
  const source = w.MediaSource ?? w.ManagedMediaSource;
  return Boolean(source?.isTypeSupported(mime));
}

type HlsModule = typeof import('hls.js/light');
let hlsModule: Promise<HlsModule> | null = null;

/**
 * hls.js's chunk (the biggest the app has), fetched once: a page that will play a stream asks for it early, so
 * that it loads while the page still waits for the item's details instead of after them.
 */
export function loadHls(): Promise<HlsModule> {
  hlsModule ??= import('hls.js/light').catch((error: unknown) => {
    hlsModule = null; // the next ask tries again
    throw error;
  });
  return hlsModule;
}

/** Plays the master playlist at `url` in `video`; the promise gives the instance to `destroy()` later. */
export async function attachHls(video: HTMLVideoElement, url: string, callbacks: HlsCallbacks): Promise<Hls> {
  const { default: HlsPlayer } = await loadHls();
  const hls = new HlsPlayer({
    // the rungs are trimmed to one codec family before any segment loads
    autoStartLoad: false,
    // a growing (EVENT) playlist is a film being encoded: it plays from its start, not from the live edge
    startPosition: 0,
    // the room's sync engine owns playbackRate and the position: no live catch-up by rate (and the default
    // liveMaxLatencyDurationCount, Infinity, never seeks to the edge)
    maxLiveSyncPlaybackRate: 1,
    // hls.js's ES module build has no inline worker; fMP4 segments need no transmuxing, so it runs on the page
    enableWorker: false,
    // a rung the viewer chose stays chosen (a failed load retries it instead of going back to automatic)
    preserveManualLevelOnError: true,
    // what was played stays buffered for a short way back (a seek back, a room's restart), not for the whole film:
    // hls.js's default keeps all of it, which over a long film fills a small device's memory
    backBufferLength: 90,
    // the master playlist, when the page fetched it while the player was still being put on it
    pLoader: EarlyPlaylistLoader,
  });
  const { quality } = callbacks;
  let mediaRecoveries = 0;

  hls.on(HlsPlayer.Events.MANIFEST_PARSED, (_event, data) => {
    const family = preferredFamily(hls.levels, isTypeSupported);
    // automatic quality switches within one family: a switch between codecs would reset the decoder
    if (family) levelsToDrop(hls.levels, family).forEach((index) => hls.removeLevel(index));
    quality.setLevels(hls.levels);
    // a room playing: load the part it will be at, not the film's first segment
    const { loading } = data.stats;
    hls.startLoad(plannedStart(video, firstLoadEstimateS(loading.first - loading.start), segmentGrid(data.sessionData)));
  });
  hls.on(HlsPlayer.Events.LEVELS_UPDATED, (_event, data) => quality.setLevels(data.levels));
  // a film still being encoded: how far the rung being loaded is published (its playlist grows until it ends)
  let playlist: PlaylistDetails | null = null;
  hls.on(HlsPlayer.Events.LEVEL_UPDATED, (_event, data) => {
    playlist = { edge: data.details.edge, live: data.details.live };
  });
  setEdgeSource(video, () => edgeOfPlaylist(playlist));
  hls.on(HlsPlayer.Events.DESTROYING, () => setEdgeSource(video, null));
  hls.on(HlsPlayer.Events.LEVEL_SWITCHED, (_event, data) => quality.setPlaying(data.level));
  hls.on(HlsPlayer.Events.ERROR, (_event, data) => {
    if (!data.fatal) return;
    if (data.type === HlsPlayer.ErrorTypes.MEDIA_ERROR && mediaRecoveries < 1) {
      mediaRecoveries += 1;
      hls.recoverMediaError();
    } else if (data.type === HlsPlayer.ErrorTypes.NETWORK_ERROR) {
      callbacks.onNetworkError();
    } else {
      callbacks.onFatalError();
    }
  });

  hls.attachMedia(video);
  hls.loadSource(url);
  return hls;
}
