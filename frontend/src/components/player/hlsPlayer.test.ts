import { describe, expect, it, vi } from 'vitest';
import { HlsQuality } from '../../lib/quality';
import { OPENING_SECONDS_ID, SEGMENT_SECONDS_ID, type SegmentOf } from '../../lib/segmentGrid';
import { firstLoadEstimateS, setStartPlanner } from '../../lib/startPlan';
import { attachHls } from './hlsPlayer';

type Handler = (event: string, data: unknown) => void;

/** hls.js as the player drives it: events it can be made to fire, and where it was told to start loading. */
class FakeHls {
  static Events = {
    MANIFEST_PARSED: 'hlsManifestParsed',
    LEVELS_UPDATED: 'hlsLevelsUpdated',
    LEVEL_UPDATED: 'hlsLevelUpdated',
    LEVEL_SWITCHED: 'hlsLevelSwitched',
    DESTROYING: 'hlsDestroying',
    ERROR: 'hlsError',
  };
  static ErrorTypes = { MEDIA_ERROR: 'mediaError', NETWORK_ERROR: 'networkError' };
  static last: FakeHls | null = null;
  levels = [{ videoCodec: 'avc1.64001f', audioCodec: 'mp4a.40.2', width: 640, height: 360, bitrate: 800_000 }];
  startedAt: number[] = [];
  private handlers = new Map<string, Handler[]>();
  constructor() {
    FakeHls.last = this;
  }
  on(event: string, handler: Handler): void {
    this.handlers.set(event, [...(this.handlers.get(event) ?? []), handler]);
  }
  fire(event: string, data: unknown): void {
    for (const handler of this.handlers.get(event) ?? []) handler(event, data);
  }
  startLoad(position: number): void {
    this.startedAt.push(position);
  }
  removeLevel(): void {}
  attachMedia(): void {}
  loadSource(): void {}
}

vi.mock('hls.js/light', () => ({ default: FakeHls }));

function sessionData(segment: string, opening: string) {
  return {
    [SEGMENT_SECONDS_ID]: { VALUE: segment },
    [OPENING_SECONDS_ID]: { VALUE: opening },
  };
}

describe('attachHls', () => {
  it("hands the segments the master playlist declares, and how long it took, to whoever plans the media's start", async () => {
    const video = document.createElement('video');
    const asked: { readyInS: number; segmentOf: SegmentOf | null }[] = [];
    setStartPlanner(video, (readyInS, segmentOf) => {
      asked.push({ readyInS, segmentOf });
      return 61.3;
    });
    await attachHls(video, '/media/hls/master.m3u8', {
      quality: new HlsQuality(() => undefined),
      onNetworkError: () => undefined,
      onFatalError: () => undefined,
    });
    const hls = FakeHls.last!;
    hls.fire(FakeHls.Events.MANIFEST_PARSED, {
      stats: { loading: { start: 1_000, first: 1_150 } },
      sessionData: sessionData('2', '0.5'),
    });

    expect(hls.startedAt).toEqual([61.3]); // the first segment loaded is where the room will be
    expect(asked).toHaveLength(1);
    expect(asked[0].readyInS).toBeCloseTo(firstLoadEstimateS(150), 6); // the master playlist's first byte took 150 ms
    const segmentOf = asked[0].segmentOf!;
    expect(segmentOf(61.3)).toEqual([60, 62]);
    expect(segmentOf(1.2)).toEqual([1, 1.5]); // the short opening segments
    setStartPlanner(video, null);
  });

  it('plans without a grid when the master playlist declares none (an item encoded before it did)', async () => {
    const video = document.createElement('video');
    const grids: (SegmentOf | null)[] = [];
    setStartPlanner(video, (_readyInS, segmentOf) => {
      grids.push(segmentOf);
      return null;
    });
    await attachHls(video, '/media/hls/master.m3u8', {
      quality: new HlsQuality(() => undefined),
      onNetworkError: () => undefined,
      onFatalError: () => undefined,
    });
    const hls = FakeHls.last!;
    hls.fire(FakeHls.Events.MANIFEST_PARSED, { stats: { loading: { start: 0, first: 20 } }, sessionData: undefined });
    expect(grids).toEqual([null]);
    expect(hls.startedAt).toEqual([0]); // no opinion: from the film's start
    setStartPlanner(video, null);
  });
});
