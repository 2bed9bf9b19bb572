import { apiRequest } from './client';
import type { ContentItem, ContentPage, ProgressList } from './types';

export interface ListQuery {
  q?: string;
  page?: number;
  perPage?: number;
}

function normaliseItem(raw: ContentItem): ContentItem {
  return {
    ...raw,
    description: raw.description ?? '',
    duration: typeof raw.duration === 'number' ? raw.duration : null,
    thumbnail: raw.thumbnail ?? null,
    renditions: Array.isArray(raw.renditions) ? raw.renditions : [],
    subtitles: Array.isArray(raw.subtitles) ? raw.subtitles : [],
  };
}

export async function listContent(query: ListQuery = {}, signal?: AbortSignal): Promise<ContentPage> {
  const res = await apiRequest<Partial<ContentPage>>('list-content', {
    query: { q: query.q, page: query.page, per_page: query.perPage },
    signal,
  });
  const items = (res.items ?? []).map(normaliseItem);
  return {
    items,
    total: typeof res.total === 'number' ? res.total : items.length,
    page: res.page ?? query.page ?? 1,
    per_page: res.per_page ?? query.perPage ?? items.length,
  };
}

export async function getContent(id: string, signal?: AbortSignal): Promise<ContentItem> {
  const res = await apiRequest<ContentItem | { item: ContentItem }>(`list-content/${encodeURIComponent(id)}`, { signal });
  return normaliseItem('item' in res && res.item ? res.item : (res as ContentItem));
}

export function getProgress(signal?: AbortSignal): Promise<ProgressList> {
  return apiRequest<ProgressList>('content/progress', { signal }).then((res) => ({ items: res?.items ?? [] }));
}

export interface ProgressReport {
  position: number;
  duration?: number;
  playing_seconds: number;
}

export function reportProgress(id: string, report: ProgressReport, keepalive = false): Promise<unknown> {
  return apiRequest(`content/${encodeURIComponent(id)}/progress`, { method: 'POST', body: report, keepalive });
}

export function updateContent(id: string, patch: { title?: string; description?: string }): Promise<ContentItem> {
  return apiRequest(`content/${encodeURIComponent(id)}`, { method: 'PATCH', body: patch });
}

export function deleteContent(id: string): Promise<unknown> {
  return apiRequest(`content/${encodeURIComponent(id)}`, { method: 'DELETE' });
}

export function reprocessContent(id: string): Promise<unknown> {
  return apiRequest(`content/${encodeURIComponent(id)}/reprocess`, { method: 'POST', body: {} });
}

export interface SubtitleUpload {
  lang: string;
  label: string;
  format: 'srt' | 'vtt';
  text: string;
}

export function uploadSubtitles(id: string, subtitle: SubtitleUpload): Promise<unknown> {
  return apiRequest(`content/${encodeURIComponent(id)}/subtitles`, { method: 'POST', body: subtitle });
}

export function uploadThumbnail(id: string, image: Blob): Promise<unknown> {
  return apiRequest(`content/${encodeURIComponent(id)}/thumbnail`, {
    method: 'POST',
    rawBody: image,
    contentType: image.type || 'image/jpeg',
  });
}
