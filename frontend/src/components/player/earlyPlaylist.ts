/**
 * A stream's master playlist, fetched as soon as a page knows which stream it will play.
 *
 * Between the item's details arriving and hls.js asking for the master playlist, the page renders and
 * mounts the player: on a starved phone that is a tenth of a second or more, and every step after it
 * (the rung's playlist, its first segment) waits on it. Fetching the master the moment the details
 * arrive overlaps that rendering with the round trip; hls.js then takes the answer through its playlist
 * loader (`EarlyPlaylistLoader`) instead of asking again. Only the newest one is kept, and only briefly:
 * a film still encoding may add rungs to its master.
 */
import type {
  HlsConfig,
  Loader,
  LoaderCallbacks,
  LoaderConfiguration,
  LoaderContext,
  LoaderStats,
  PlaylistLoaderContext,
} from 'hls.js';

/** How long an early master playlist may wait for its player before it is too old to use (ms). */
export const EARLY_PLAYLIST_MAX_AGE_MS = 10_000;

interface Arrival {
  /** The address it came from (after redirects): the base its relative rung addresses resolve against. */
  url: string;
  text: string;
  /** performance.now() when asked, at the first byte, and when whole: hls.js's own timing fields. */
  start: number;
  first: number;
  end: number;
}

type Fetch = (url: string) => Promise<Response>;

let early: { url: string; asked: number; arrival: Promise<Arrival> } | null = null;

/** Starts fetching the master playlist at `url`, unless it is already on its way. */
export function fetchPlaylistEarly(url: string, fetcher: Fetch = (u) => fetch(u)): void {
  if (early?.url === url && performance.now() - early.asked < EARLY_PLAYLIST_MAX_AGE_MS) return;
  const start = performance.now();
  const arrival = fetcher(url).then(async (response) => {
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const first = performance.now();
    const text = await response.text();
    return { url: response.url || url, text, start, first, end: performance.now() };
  });
  arrival.catch(() => undefined); // a failure is the player's to meet, through its own request
  early = { url, asked: start, arrival };
}

/** The early fetch of `url` for the player to use, once: none when it was not asked for, or too long ago. */
export function takeEarlyPlaylist(url: string): Promise<Arrival> | null {
  if (early?.url !== url) return null;
  const { asked, arrival } = early;
  early = null;
  return performance.now() - asked < EARLY_PLAYLIST_MAX_AGE_MS ? arrival : null;
}

/**
 * hls.js's playlist loader: the master playlist from the early fetch when there is one, everything else
 * (and a failed early fetch, which is asked again) through hls.js's own loader.
 */
export class EarlyPlaylistLoader implements Loader<PlaylistLoaderContext> {
  context: PlaylistLoaderContext | null = null;
  stats: LoaderStats;
  private readonly own: Loader<LoaderContext>;
  /** While an early answer is awaited: whom to tell if hls.js gives up on it first. */
  private waiting: LoaderCallbacks<PlaylistLoaderContext> | null = null;

  constructor(config: HlsConfig) {
    this.own = new config.loader(config);
    this.stats = this.own.stats;
  }

  load(context: PlaylistLoaderContext, config: LoaderConfiguration, callbacks: LoaderCallbacks<PlaylistLoaderContext>): void {
    this.context = context;
    const arrival = takeEarlyPlaylist(context.url);
    if (!arrival) {
      this.loadOwn(context, config, callbacks);
      return;
    }
    this.waiting = callbacks;
    arrival.then(
      (got) => {
        if (this.waiting !== callbacks) return;
        this.waiting = null;
        this.stats = arrivedStats(got);
        callbacks.onSuccess({ url: got.url, data: got.text, code: 200 }, this.stats, context, null);
      },
      () => {
        if (this.waiting !== callbacks) return;
        this.waiting = null;
        this.loadOwn(context, config, callbacks);
      },
    );
  }

  /** hls.js's own loader (its default playlist loader too), which hands back the playlist context it was given. */
  private loadOwn(context: PlaylistLoaderContext, config: LoaderConfiguration, callbacks: LoaderCallbacks<PlaylistLoaderContext>): void {
    this.own.load(context, config, callbacks as unknown as LoaderCallbacks<LoaderContext>);
    this.stats = this.own.stats;
  }

  abort(): void {
    const waiting = this.waiting;
    this.waiting = null;
    if (waiting && this.context) waiting.onAbort?.(this.stats, this.context, null);
    else this.own.abort();
  }

  destroy(): void {
    this.waiting = null;
    this.own.destroy();
  }

  getCacheAge(): number | null {
    return this.own.getCacheAge?.() ?? null;
  }

  getResponseHeader(name: string): string | null {
    return this.own.getResponseHeader?.(name) ?? null;
  }
}

function arrivedStats(got: Arrival): LoaderStats {
  const size = got.text.length;
  return {
    aborted: false,
    loaded: size,
    total: size,
    retry: 0,
    chunkCount: 0,
    bwEstimate: 0,
    loading: { start: got.start, first: got.first, end: got.end },
    parsing: { start: 0, end: 0 },
    buffering: { start: 0, first: 0, end: 0 },
  };
}
