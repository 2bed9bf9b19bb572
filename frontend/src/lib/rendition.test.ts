import { describe, expect, it } from 'vitest';
import type { Rendition } from '../api/types';
import { pickRendition, preferredContainer, renditionHeights, renditionsFor } from './rendition';

const r = (container: 'mp4' | 'webm', width: number, height: number, extra: Partial<Rendition> = {}): Rendition => ({
  container,
  width,
  height,
  url: `/media/x/${container}-${height}`,
  ...extra,
});

const ladder = [r('mp4', 854, 480), r('mp4', 1280, 720), r('mp4', 1920, 1080), r('webm', 854, 480), r('webm', 1280, 720), r('webm', 1920, 1080)];

describe('preferredContainer', () => {
  it('takes webm when VP9/Opus plays', () => {
    expect(preferredContainer((t) => (t.includes('webm') ? 'probably' : ''))).toBe('webm');
    expect(preferredContainer((t) => (t.includes('webm') ? 'maybe' : ''))).toBe('webm');
  });
  it('falls back to mp4', () => {
    expect(preferredContainer(() => '')).toBe('mp4');
  });
});

describe('pickRendition', () => {
  it('picks the smallest rendition wide enough for the screen', () => {
    expect(pickRendition(ladder, { container: 'webm', viewportWidth: 1200 })?.url).toBe('/media/x/webm-720');
    expect(pickRendition(ladder, { container: 'mp4', viewportWidth: 400 })?.url).toBe('/media/x/mp4-480');
  });
  it('accounts for the pixel ratio (capped at 2)', () => {
    expect(pickRendition(ladder, { container: 'mp4', viewportWidth: 800, devicePixelRatio: 2 })?.height).toBe(1080);
    expect(pickRendition(ladder, { container: 'mp4', viewportWidth: 400, devicePixelRatio: 3 })?.height).toBe(480);
  });
  it('takes the largest when the screen is wider than all', () => {
    expect(pickRendition(ladder, { container: 'mp4', viewportWidth: 3840 })?.height).toBe(1080);
  });
  it('honours a chosen quality', () => {
    expect(pickRendition(ladder, { container: 'webm', viewportWidth: 3840, height: 480 })?.url).toBe('/media/x/webm-480');
  });
  it('uses the other container when the preferred one is missing', () => {
    const mp4Only = [r('mp4', 640, 360)];
    expect(pickRendition(mp4Only, { container: 'webm', viewportWidth: 1000 })?.container).toBe('mp4');
  });
  it('skips renditions not ready yet', () => {
    const partial = [r('mp4', 854, 480), r('mp4', 1280, 720, { status: 'processing', url: '' })];
    expect(pickRendition(partial, { container: 'mp4', viewportWidth: 1280 })?.height).toBe(480);
  });
  it('returns null with nothing playable', () => {
    expect(pickRendition([], { container: 'mp4', viewportWidth: 1000 })).toBeNull();
  });
});

describe('quality menu', () => {
  it('lists distinct heights, highest first', () => {
    expect(renditionHeights(ladder, 'mp4')).toEqual([1080, 720, 480]);
    expect(renditionsFor(ladder, 'webm').every((x) => x.container === 'webm')).toBe(true);
  });
});
