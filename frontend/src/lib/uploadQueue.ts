/** State of the admin's upload list: pure, so it is easy to test; the tus side effects live in the page. */

export type UploadStatus = 'ready' | 'uploading' | 'paused' | 'done' | 'error';

export interface UploadEntry {
  key: string;
  fileName: string;
  size: number;
  title: string;
  description: string;
  status: UploadStatus;
  bytesSent: number;
  bytesTotal: number;
  error: string | null;
  /** Set when this file continues an upload begun before (same fingerprint). */
  resumed: boolean;
  uploadUrl: string | null;
  /** Set while the upload waits to retry after a failed request. */
  notice: string | null;
}

export type UploadAction =
  | { type: 'add'; entries: { key: string; fileName: string; size: number }[] }
  | { type: 'edit'; key: string; title?: string; description?: string }
  | { type: 'start'; key: string; resumed?: boolean }
  | { type: 'progress'; key: string; bytesSent: number; bytesTotal: number }
  | { type: 'url'; key: string; uploadUrl: string }
  | { type: 'pause'; key: string }
  | { type: 'success'; key: string }
  | { type: 'error'; key: string; message: string }
  | { type: 'retrying'; key: string; message: string }
  | { type: 'remove'; key: string }
  | { type: 'clearDone' };

/** "my_trip-2024.final.mp4" → "my trip 2024 final". */
export function titleFromFileName(name: string): string {
  const base = name.replace(/\.[^.]+$/, '');
  const words = base.replace(/[_.-]+/g, ' ').replace(/\s+/g, ' ').trim();
  return words || name;
}

export function uploadPercent(entry: Pick<UploadEntry, 'bytesSent' | 'bytesTotal' | 'status'>): number {
  if (entry.status === 'done') return 100;
  if (!entry.bytesTotal) return 0;
  return Math.min(100, Math.floor((entry.bytesSent / entry.bytesTotal) * 100));
}

function update(state: UploadEntry[], key: string, change: (entry: UploadEntry) => UploadEntry): UploadEntry[] {
  return state.map((entry) => (entry.key === key ? change(entry) : entry));
}

export function uploadReducer(state: UploadEntry[], action: UploadAction): UploadEntry[] {
  switch (action.type) {
    case 'add': {
      const known = new Set(state.map((e) => e.key));
      const added = action.entries
        .filter((e) => !known.has(e.key))
        .map<UploadEntry>((e) => ({
          key: e.key,
          fileName: e.fileName,
          size: e.size,
          title: titleFromFileName(e.fileName),
          description: '',
          status: 'ready',
          bytesSent: 0,
          bytesTotal: e.size,
          error: null,
          resumed: false,
          uploadUrl: null,
          notice: null,
        }));
      return [...state, ...added];
    }
    case 'edit':
      return update(state, action.key, (e) =>
        e.status === 'ready'
          ? { ...e, title: action.title ?? e.title, description: action.description ?? e.description }
          : e,
      );
    case 'start':
      return update(state, action.key, (e) =>
        e.status === 'done' ? e : { ...e, status: 'uploading', error: null, resumed: e.resumed || Boolean(action.resumed) },
      );
    case 'progress':
      return update(state, action.key, (e) =>
        e.status === 'done'
          ? e
          : {
              ...e,
              bytesSent: Math.max(0, Math.min(action.bytesSent, action.bytesTotal)),
              bytesTotal: action.bytesTotal,
              notice: null,
            },
      );
    case 'url':
      return update(state, action.key, (e) => ({ ...e, uploadUrl: action.uploadUrl }));
    case 'retrying':
      return update(state, action.key, (e) => (e.status === 'uploading' ? { ...e, notice: action.message } : e));
    case 'pause':
      return update(state, action.key, (e) => (e.status === 'uploading' ? { ...e, status: 'paused', notice: null } : e));
    case 'success':
      return update(state, action.key, (e) => ({ ...e, status: 'done', bytesSent: e.bytesTotal, error: null, notice: null }));
    case 'error':
      return update(state, action.key, (e) =>
        e.status === 'done' ? e : { ...e, status: 'error', error: action.message, notice: null },
      );
    case 'remove':
      return state.filter((e) => e.key !== action.key || e.status === 'uploading');
    case 'clearDone':
      return state.filter((e) => e.status !== 'done');
    default:
      return state;
  }
}

export interface QueueSummary {
  total: number;
  active: number;
  done: number;
  failed: number;
  bytesSent: number;
  bytesTotal: number;
}

export function summarise(state: UploadEntry[]): QueueSummary {
  return state.reduce<QueueSummary>(
    (sum, e) => ({
      total: sum.total + 1,
      active: sum.active + (e.status === 'uploading' ? 1 : 0),
      done: sum.done + (e.status === 'done' ? 1 : 0),
      failed: sum.failed + (e.status === 'error' ? 1 : 0),
      bytesSent: sum.bytesSent + (e.status === 'done' ? e.bytesTotal : e.bytesSent),
      bytesTotal: sum.bytesTotal + e.bytesTotal,
    }),
    { total: 0, active: 0, done: 0, failed: 0, bytesSent: 0, bytesTotal: 0 },
  );
}

/** A stable key for a picked file, so dropping the same file twice does not add it twice. */
export function fileKey(file: { name: string; size: number; lastModified: number }): string {
  return `${file.name}:${file.size}:${file.lastModified}`;
}
