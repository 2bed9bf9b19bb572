import type { ContentItem } from '../api/types';

export interface RenditionRow {
  key: string;
  label: string;
  status: string;
  progress: number | null;
  error: string | null;
}

/**
 * One row per version being made, from the jobs the pipeline reports when it does, else from the
 * renditions (a listed rendition without a status is ready).
 */
export function renditionRows(item: ContentItem): RenditionRow[] {
  if (item.jobs && item.jobs.length) {
    return item.jobs.map((job, i) => {
      const label =
        job.container && job.height ? `${job.container} ${job.height}p` : (job.name ?? job.kind ?? `job ${i + 1}`);
      return {
        key: `job-${i}-${label}`,
        label,
        status: job.status,
        progress: typeof job.progress === 'number' ? job.progress : job.status === 'ready' || job.status === 'done' ? 100 : null,
        error: job.error ?? null,
      };
    });
  }
  if (item.plan && item.plan.length) {
    return [...item.plan]
      .sort((a, b) => a.container.localeCompare(b.container) || b.height - a.height)
      .map((r) => {
        const status = r.done ? 'ready' : item.status === 'failed' ? 'failed' : item.status === 'ready' ? 'ready' : 'processing';
        const progress = r.done ? 100 : typeof r.progress === 'number' ? r.progress : null;
        return {
          key: r.name || `${r.container}-${r.width}x${r.height}`,
          label: `${r.container} ${r.height}p (${r.width}×${r.height})`,
          status,
          progress,
          error: null,
        };
      });
  }
  return [...item.renditions]
    .sort((a, b) => a.container.localeCompare(b.container) || b.height - a.height)
    .map((r) => {
      const status = r.status ?? 'ready';
      return {
        key: `${r.container}-${r.width}x${r.height}`,
        label: `${r.container} ${r.height}p (${r.width}×${r.height})`,
        status,
        progress: typeof r.progress === 'number' ? r.progress : status === 'ready' ? 100 : null,
        error: r.error ?? null,
      };
    });
}
