import type { HlsConfig, LoaderCallbacks, LoaderConfiguration, PlaylistLoaderContext } from 'hls.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EARLY_PLAYLIST_MAX_AGE_MS, EarlyPlaylistLoader, fetchPlaylistEarly, takeEarlyPlaylist } from './earlyPlaylist';

const MASTER = '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360\n360p-h264/index.m3u8\n';
const URL_A = 'https://films.example/media/s/1/sig/abc/hls/master.m3u8';

/** hls.js's own loader as the early loader sees it: it records what it was asked to load. */
class OwnLoader {
  static asked: string[] = [];
  context = null;
  stats = { loading: { start: 0, first: 0, end: 0 } };
  load(context: PlaylistLoaderContext) {
    OwnLoader.asked.push(context.url);
  }
  abort() {}
  destroy() {}
}

function loader(): EarlyPlaylistLoader {
  return new EarlyPlaylistLoader({ loader: OwnLoader } as unknown as HlsConfig);
}

function callbacks() {
  const got = { success: [] as { url: string; data: unknown; start: number }[], aborted: 0 };
  const cb = {
    onSuccess: (response: { url: string; data?: unknown }, stats: { loading: { start: number } }) =>
      got.success.push({ url: response.url, data: response.data, start: stats.loading.start }),
    onError: () => undefined,
    onTimeout: () => undefined,
    onAbort: () => {
      got.aborted += 1;
    },
  } as unknown as LoaderCallbacks<PlaylistLoaderContext>;
  return { got, cb };
}

/** hls.js loads `url`: its own loader is asked for it, and nothing early answers. */
async function expectAskedItself(url: string): Promise<void> {
  const { got, cb } = callbacks();
  loader().load(context(url), config, cb);
  await settle();
  expect(OwnLoader.asked).toEqual([url]);
  expect(got.success).toEqual([]);
}

const context = (url: string) => ({ url, type: 'manifest', responseType: 'text' }) as unknown as PlaylistLoaderContext;
const config = {} as LoaderConfiguration;
const answer = (body: string, status = 200) => () => Promise.resolve(new Response(body, { status }));
const settle = () => new Promise((r) => setTimeout(r, 0));

afterEach(() => {
  OwnLoader.asked = [];
  takeEarlyPlaylist(URL_A);
  vi.restoreAllMocks();
});

describe('the master playlist fetched while the player mounts', () => {
  it('is what hls.js gets, without asking the server again', async () => {
    fetchPlaylistEarly(URL_A, answer(MASTER));
    const { got, cb } = callbacks();
    loader().load(context(URL_A), config, cb);
    await settle();
    expect(OwnLoader.asked).toEqual([]);
    expect(got.success).toHaveLength(1);
    expect(got.success[0].data).toBe(MASTER);
    expect(got.success[0].start).toBeGreaterThan(0);
  });

  it('serves one player only: the next one asks the server', async () => {
    fetchPlaylistEarly(URL_A, answer(MASTER));
    loader().load(context(URL_A), config, callbacks().cb);
    const second = callbacks();
    loader().load(context(URL_A), config, second.cb);
    await settle();
    expect(OwnLoader.asked).toEqual([URL_A]);
    expect(second.got.success).toEqual([]);
  });

  it('leaves other playlists (a rung, another film) to hls.js', async () => {
    fetchPlaylistEarly(URL_A, answer(MASTER));
    await expectAskedItself(URL_A.replace('master.m3u8', '360p-h264/index.m3u8'));
  });

  it('is asked for again when the early fetch failed (an expired link gets hls.js its own error)', async () => {
    fetchPlaylistEarly(URL_A, answer('gone', 403));
    await expectAskedItself(URL_A);
  });

  it('is dropped when hls.js gives up on it before it arrives', async () => {
    let arrive: (r: Response) => void = () => undefined;
    fetchPlaylistEarly(URL_A, () => new Promise<Response>((resolve) => (arrive = resolve)));
    const { got, cb } = callbacks();
    const early = loader();
    early.load(context(URL_A), config, cb);
    early.abort();
    arrive(new Response(MASTER));
    await settle();
    expect(got.aborted).toBe(1);
    expect(got.success).toEqual([]);
  });

  it('is too old to use once the player comes long after it', async () => {
    const now = vi.spyOn(performance, 'now').mockReturnValue(1_000);
    fetchPlaylistEarly(URL_A, answer(MASTER));
    now.mockReturnValue(1_000 + EARLY_PLAYLIST_MAX_AGE_MS + 1);
    await expectAskedItself(URL_A);
  });
});
