import { describe, expect, it } from 'vitest';
import { cueAt, parsePreviewVtt, parseTimestamp } from './previewVtt';

const VTT = `WEBVTT

00:00:00.000 --> 00:00:05.000
sprite.jpg#xywh=0,0,160,90

00:00:05.000 --> 00:00:10.000
sprite.jpg#xywh=160,0,160,90

1
00:10.000 --> 00:15.500
sprite.jpg#xywh=0,90,160,90
`;

describe('preview VTT', () => {
  it('parses timestamps', () => {
    expect(parseTimestamp('01:02:03.500')).toBe(3723.5);
    expect(parseTimestamp('02:03.5')).toBe(123.5);
    expect(parseTimestamp('x')).toBeNull();
  });

  it('reads cues with sprite regions, resolved against the VTT address', () => {
    const cues = parsePreviewVtt(VTT, 'http://h/media/c1/preview.vtt?md5=a&expires=1');
    expect(cues).toHaveLength(3);
    expect(cues[1]).toMatchObject({ start: 5, end: 10, x: 160, y: 0, w: 160, h: 90, url: 'http://h/media/c1/sprite.jpg' });
    expect(cues[2]).toMatchObject({ start: 10, end: 15.5, y: 90 });
  });

  it('finds the cue for a time', () => {
    const cues = parsePreviewVtt(VTT, 'http://h/p.vtt');
    expect(cueAt(cues, 7)?.x).toBe(160);
    expect(cueAt(cues, 0)?.x).toBe(0);
    expect(cueAt(cues, 12)?.y).toBe(90);
    expect(cueAt([], 3)).toBeNull();
  });
});
