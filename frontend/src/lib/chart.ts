/** A round upper bound for a chart axis: 0 → 1, 7 → 10, 23 → 25, 180 → 200. */
export function niceMax(value: number): number {
  if (!Number.isFinite(value) || value <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (value <= step * magnitude) return step * magnitude;
  }
  return 10 * magnitude;
}

export interface ChartBox {
  width: number;
  height: number;
  pad: { top: number; right: number; bottom: number; left: number };
  max: number;
}

export function chartPoints(values: number[], box: ChartBox): { x: number; y: number }[] {
  const { width, height, pad, max } = box;
  const innerW = width - pad.left - pad.right;
  const innerH = height - pad.top - pad.bottom;
  const n = values.length;
  return values.map((v, i) => ({
    x: pad.left + (n <= 1 ? innerW / 2 : (i / (n - 1)) * innerW),
    y: pad.top + innerH * (1 - Math.max(0, Math.min(v, max)) / (max || 1)),
  }));
}
