import { describe, expect, it } from 'vitest';
import type { ContentStream } from '../api/types';
import { choosePlayback, codecFamily, levelsToDrop, preferredFamily, type StreamLevel } from './playback';

const stream: ContentStream = { type: 'hls', url: '/media/s/1/sig/x/hls/master.m3u8', renditions: [] };

describe('choosePlayback', () => {
  it('plays the stream through hls.js wherever MSE exists, even with native HLS too', () => {
    expect(choosePlayback(stream, { mse: true, nativeHls: false })).toBe('hls.js');
    expect(choosePlayback(stream, { mse: true, nativeHls: true })).toBe('hls.js');
  });
  it('uses the browser\'s own HLS without MSE', () => {
    expect(choosePlayback(stream, { mse: false, nativeHls: true })).toBe('native');
  });
  it('falls back to the files without MSE and native HLS, or before the stream exists', () => {
    expect(choosePlayback(stream, { mse: false, nativeHls: false })).toBe('progressive');
    expect(choosePlayback(null, { mse: true, nativeHls: true })).toBe('progressive');
    expect(choosePlayback(undefined, { mse: true, nativeHls: false })).toBe('progressive');
  });
});

const level = (height: number, videoCodec: string, audioCodec: string): StreamLevel => ({
  height,
  videoCodec,
  audioCodec,
  bitrate: height * 1000,
});
// the master's order: H.264 rungs smallest first, then VP9 ones
const levels = [
  level(480, 'avc1.64001e', 'mp4a.40.2'),
  level(720, 'avc1.64001f', 'mp4a.40.2'),
  level(480, 'vp09.00.30.08', 'opus'),
  level(720, 'vp09.00.31.08', 'opus'),
];

describe('codec families', () => {
  it('tells H.264 from VP9 by the codec string', () => {
    expect(codecFamily('avc1.640028')).toBe('h264');
    expect(codecFamily('avc3.640028')).toBe('h264');
    expect(codecFamily('vp09.00.31.08')).toBe('vp9');
    expect(codecFamily('av01.0.05M.08')).toBeNull();
    expect(codecFamily(undefined)).toBeNull();
  });

  it('prefers H.264 when the browser decodes it', () => {
    expect(preferredFamily(levels, () => true)).toBe('h264');
  });

  it('takes VP9 when H.264 is not supported, and neither when nothing is', () => {
    expect(preferredFamily(levels, (mime) => mime.includes('vp09'))).toBe('vp9');
    expect(preferredFamily(levels, () => false)).toBeNull();
  });

  it('asks about each level\'s video and audio codecs together', () => {
    const asked: string[] = [];
    preferredFamily(levels.slice(0, 1), (mime) => (asked.push(mime), true));
    expect(asked).toEqual(['video/mp4; codecs="avc1.64001e,mp4a.40.2"']);
  });

  it('drops the other family, highest index first so the remaining indices hold', () => {
    expect(levelsToDrop(levels, 'h264')).toEqual([3, 2]);
    expect(levelsToDrop(levels, 'vp9')).toEqual([1, 0]);
    const kept = levels.filter((_, i) => !levelsToDrop(levels, 'vp9').includes(i));
    expect(kept.map((l) => l.videoCodec)).toEqual(['vp09.00.30.08', 'vp09.00.31.08']);
  });
});
