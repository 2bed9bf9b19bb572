import { describe, expect, it } from 'vitest';
import type { Rendition } from '../api/types';
import { AUTO, HlsQuality, ProgressiveQuality, qualityChoices, type QualityState } from './quality';
import { qualityLabel } from './rendition';

const r = (width: number, height: number): Rendition => ({ container: 'mp4', width, height, url: `/media/x/${height}.mp4` });
const ladder = [r(854, 480), r(1280, 720), r(1920, 1080), r(3840, 2160)];

describe('level labels', () => {
  it('name the rung without parentheses', () => {
    expect(qualityLabel(2160)).toBe('2160p 4K');
    expect(qualityLabel(1080)).toBe('1080p HD');
    expect(qualityLabel(720)).toBe('720p HD');
    expect(qualityLabel(480)).toBe('480p');
  });
});

describe('qualityChoices', () => {
  const levels = [
    { id: '720', label: '720p HD' },
    { id: '480', label: '480p' },
  ];
  it('names the level automatic quality plays, once and without nested parentheses', () => {
    const state: QualityState = { levels, selected: null, active: '720' };
    expect(qualityChoices(state)).toEqual([
      { value: AUTO, label: 'Auto (720p HD)' },
      { value: '720', label: '720p HD' },
      { value: '480', label: '480p' },
    ]);
  });
  it('says plain Auto when a level is chosen or none is known yet', () => {
    expect(qualityChoices({ levels, selected: '480', active: '480' })[0].label).toBe('Auto');
    expect(qualityChoices({ levels, selected: null, active: null })[0].label).toBe('Auto');
  });
});

describe('ProgressiveQuality', () => {
  it('lists the heights, highest first, and plays what fits the player', () => {
    const q = new ProgressiveQuality({ renditions: ladder, container: 'mp4', devicePixelRatio: 1, viewportWidth: 1200 });
    expect(q.getState().levels.map((l) => l.label)).toEqual(['2160p 4K', '1080p HD', '720p HD', '480p']);
    expect(q.getState()).toMatchObject({ selected: null, active: '720' });
    expect(q.rendition()?.height).toBe(720);
  });
  it('plays a chosen level and goes back to automatic, telling its listeners', () => {
    const q = new ProgressiveQuality({ renditions: ladder, container: 'mp4', devicePixelRatio: 1, viewportWidth: 1200 });
    let told = 0;
    q.subscribe(() => {
      told += 1;
    });
    q.select('480');
    expect(q.rendition()?.height).toBe(480);
    expect(q.getState()).toMatchObject({ selected: '480', active: '480' });
    q.select(null);
    expect(q.getState()).toMatchObject({ selected: null, active: '720' });
    expect(told).toBe(2);
  });
  it('looks again only when the player grows a lot (fullscreen), not on small resizes', () => {
    const q = new ProgressiveQuality({ renditions: ladder, container: 'mp4', devicePixelRatio: 1, viewportWidth: 800 });
    expect(q.getState().active).toBe('480');
    q.setWidth(1000);
    expect(q.getState().active).toBe('480');
    q.setWidth(1900);
    expect(q.getState().active).toBe('1080');
  });

  it('keeps a chosen level when the links are renewed', () => {
    const q = new ProgressiveQuality({ renditions: ladder, container: 'mp4', devicePixelRatio: 1, viewportWidth: 1200 });
    q.select('1080');
    const renewed = ladder.map((x) => ({ ...x, url: `${x.url}?signed=2` }));
    q.setRenditions(renewed);
    expect(q.getState()).toMatchObject({ selected: '1080', active: '1080' });
    expect(q.rendition()?.url).toBe('/media/x/1080.mp4?signed=2');
  });
});

describe('HlsQuality', () => {
  // hls.js's levels after the codec family is chosen, in its order (smallest first)
  const levels = [{ height: 480 }, { height: 720 }, { height: 1080 }];

  it('lists Auto and every rung, highest first, naming the rung hls.js switched to once', () => {
    const q = new HlsQuality(() => undefined);
    q.setLevels(levels);
    q.setPlaying(1);
    expect(qualityChoices(q.getState()).map((c) => c.label)).toEqual(['Auto (720p HD)', '1080p HD', '720p HD', '480p']);
  });

  it('switches hls.js to the chosen rung by its level index, and back to automatic with -1', () => {
    const switched: number[] = [];
    const q = new HlsQuality((index) => switched.push(index));
    q.setLevels(levels);
    q.select('1080');
    expect(q.getState().selected).toBe('1080');
    q.setPlaying(2);
    expect(qualityChoices(q.getState())[0].label).toBe('Auto');
    q.select(null);
    expect(q.getState().selected).toBeNull();
    expect(switched).toEqual([2, -1]);
  });

  it('tells the menu when the levels or the rung in use change', () => {
    const q = new HlsQuality(() => undefined);
    let calls = 0;
    const stop = q.subscribe(() => (calls += 1));
    q.setLevels(levels);
    q.setPlaying(0);
    expect(calls).toBe(2);
    stop();
    q.setPlaying(1);
    expect(calls).toBe(2);
    expect(q.getState().active).toBe('720');
  });

  it('has no levels, so no menu, before hls.js has read the playlist (and under native HLS)', () => {
    expect(new HlsQuality(() => undefined).getState().levels).toEqual([]);
  });
});
