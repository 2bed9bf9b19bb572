import { describe, expect, it } from 'vitest';
import { Freshness } from './freshness';

describe('Freshness', () => {
  it('keeps an item for its time from when it was first seen, then lets it go', () => {
    const f = new Freshness();
    const a = { id: 'a' };
    const b = { id: 'b' };
    expect(f.fresh([a], 1000, 5000)).toEqual({ items: [a], staleAt: 6000 });
    expect(f.fresh([a, b], 3000, 5000)).toEqual({ items: [a, b], staleAt: 6000 });
    expect(f.fresh([a, b], 6000, 5000)).toEqual({ items: [b], staleAt: 8000 });
    expect(f.fresh([a, b], 8000, 5000)).toEqual({ items: [], staleAt: null });
  });

  it('forgets items that left the list, so one coming back is new again', () => {
    const f = new Freshness();
    const a = { id: 'a' };
    f.fresh([a], 0, 1000);
    f.fresh([], 500, 1000);
    expect(f.fresh([a], 5000, 1000).items).toEqual([a]);
  });
});
