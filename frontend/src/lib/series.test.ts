import { describe, expect, it } from 'vitest';
import { niceMax, chartPoints } from './chart';
import { normaliseSeries } from './series';

describe('normaliseSeries', () => {
  it('reads daily records', () => {
    const s = normaliseSeries([
      { date: '2030-01-01', views: 3, dau: 2 },
      { date: '2030-01-02', views: 5, dau: 1 },
    ]);
    expect(s.map((x) => x.name)).toEqual(['views', 'dau']);
    expect(s[0]).toEqual({ name: 'views', days: ['2030-01-01', '2030-01-02'], values: [3, 5] });
  });
  it('reads columns', () => {
    const s = normaliseSeries({ days: ['a', 'b'], views: [1, 2], dau: [0, 4] });
    expect(s).toEqual([
      { name: 'views', days: ['a', 'b'], values: [1, 2] },
      { name: 'dau', days: ['a', 'b'], values: [0, 4] },
    ]);
  });
  it('reads per-series point lists', () => {
    const s = normaliseSeries({ views: [{ date: 'a', value: 4 }] });
    expect(s).toEqual([{ name: 'views', days: ['a'], values: [4] }]);
  });
  it('tolerates nothing', () => {
    expect(normaliseSeries(undefined)).toEqual([]);
  });
});

describe('chart scale', () => {
  it('rounds the axis up', () => {
    expect(niceMax(0)).toBe(1);
    expect(niceMax(7)).toBe(10);
    expect(niceMax(23)).toBe(25);
    expect(niceMax(180)).toBe(200);
  });
  it('places points inside the box', () => {
    const pts = chartPoints([0, 10], { width: 100, height: 50, pad: { top: 0, right: 0, bottom: 0, left: 0 }, max: 10 });
    expect(pts).toEqual([
      { x: 0, y: 50 },
      { x: 100, y: 0 },
    ]);
  });
});
