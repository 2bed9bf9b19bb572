import type { ProgressEntry } from '../api/types';
import { resumePosition } from './format';

function stamp(value: string | number | undefined): number {
  if (value === undefined) return 0;
  if (typeof value === 'number') return value < 1e12 ? value * 1000 : value;
  const t = Date.parse(value);
  return Number.isNaN(t) ? 0 : t;
}

/** Started but unfinished items, most recently watched first. */
export function resumable(progress: ProgressEntry[], limit: number): ProgressEntry[] {
  return progress
    .filter((p) => resumePosition(p.position, p.duration) > 0)
    .sort((a, b) => stamp(b.updated_at) - stamp(a.updated_at))
    .slice(0, limit);
}
