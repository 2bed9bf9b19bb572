import { describe, expect, it } from 'vitest';
import type { Rendition } from '../api/types';
import { AUTO, ProgressiveQuality, qualityChoices, type QualityState } from './quality';
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
