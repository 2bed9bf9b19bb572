import { describe, expect, it } from 'vitest';
import { resumable } from './resume';

describe('resumable', () => {
  it('keeps unfinished items, newest first', () => {
    const list = resumable(
      [
        { content_id: 'a', position: 30, duration: 100, updated_at: '2030-01-01T00:00:00Z' },
        { content_id: 'b', position: 2, duration: 100, updated_at: '2030-01-03T00:00:00Z' },
        { content_id: 'c', position: 98, duration: 100, updated_at: '2030-01-03T00:00:00Z' },
        { content_id: 'd', position: 50, duration: 100, updated_at: 1893628800 },
      ],
      5,
    );
    expect(list.map((p) => p.content_id)).toEqual(['d', 'a']);
  });
  it('limits the count', () => {
    const many = Array.from({ length: 10 }, (_, i) => ({ content_id: String(i), position: 20, duration: 100, updated_at: i }));
    expect(resumable(many, 3)).toHaveLength(3);
  });
});
