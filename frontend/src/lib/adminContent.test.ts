import { describe, expect, it } from 'vitest';
import type { ContentItem } from '../api/types';
import { renditionRows } from './adminContent';

const base: ContentItem = {
  id: 'c',
  title: 't',
  description: '',
  duration: 10,
  status: 'processing',
  thumbnail: null,
  renditions: [],
  subtitles: [],
};

describe('renditionRows', () => {
  it('shows the plan with what is done', () => {
    const rows = renditionRows({
      ...base,
      plan: [
        { name: 'mp4-480', container: 'mp4', width: 854, height: 480, done: true },
        { name: 'mp4-720', container: 'mp4', width: 1280, height: 720, done: false },
        { name: 'webm-480', container: 'webm', width: 854, height: 480, done: false, progress: 30 },
      ],
    });
    expect(rows.map((r) => [r.key, r.status, r.progress])).toEqual([
      ['mp4-720', 'processing', null],
      ['mp4-480', 'ready', 100],
      ['webm-480', 'processing', 30],
    ]);
  });
  it('marks unfinished renditions failed when the item failed', () => {
    const rows = renditionRows({ ...base, status: 'failed', plan: [{ name: 'a', container: 'mp4', width: 2, height: 2, done: false }] });
    expect(rows[0].status).toBe('failed');
  });
  it('falls back to the renditions', () => {
    const rows = renditionRows({ ...base, status: 'ready', renditions: [{ container: 'webm', width: 640, height: 360, url: '/m' }] });
    expect(rows).toEqual([{ key: 'webm-640x360', label: 'webm 360p (640×360)', status: 'ready', progress: 100, error: null }]);
  });
});
