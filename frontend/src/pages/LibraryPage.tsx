import { useTitle } from '../lib/useTitle';
import { useEffect, useMemo, useState } from 'react';
import { useSearchParams } from 'react-router';
import { getProgress, listContent } from '../api/content';
import type { ContentItem, ProgressEntry } from '../api/types';
import { ContentCard } from '../components/ContentCard';
import { ContinueWatching } from '../components/ContinueWatching';
import { ErrorBox, Loading } from '../components/ui';
import { useAsync } from '../lib/useAsync';

export const PER_PAGE = 24;
const EMPTY: ContentItem[] = [];

export function LibraryPage() {
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const page = Math.max(1, Number(params.get('page')) || 1);
  useTitle(q ? `Search: ${q}` : 'Library');
  const [search, setSearch] = useState(q);

  useEffect(() => setSearch(q), [q]);

  // Search as you type, a moment after the last key.
  useEffect(() => {
    if (search === q) return;
    const id = window.setTimeout(() => {
      const next = new URLSearchParams(params);
      if (search.trim()) next.set('q', search.trim());
      else next.delete('q');
      next.delete('page');
      setParams(next, { replace: true });
    }, 300);
    return () => window.clearTimeout(id);
  }, [search, q, params, setParams]);

  const content = useAsync((signal) => listContent({ q, page, perPage: PER_PAGE }, signal), [q, page]);
  const progress = useAsync((signal) => getProgress(signal).catch(() => ({ items: [] as ProgressEntry[] })), []);

  const progressById = useMemo(() => {
    const map = new Map<string, ProgressEntry>();
    progress.data?.items.forEach((p) => map.set(p.content_id, p));
    return map;
  }, [progress.data]);

  const items = (content.data?.items ?? []).filter((item) => item.status === 'ready');
  const total = content.data?.total ?? 0;
  const pages = Math.max(1, Math.ceil(total / (content.data?.per_page || PER_PAGE)));

  const goTo = (p: number) => {
    const next = new URLSearchParams(params);
    if (p > 1) next.set('page', String(p));
    else next.delete('page');
    setParams(next);
    window.scrollTo({ top: 0 });
  };

  return (
    <section className="page">
      <div className="page-head">
        <h1>Library</h1>
        <form role="search" className="search" onSubmit={(e) => e.preventDefault()}>
          <label htmlFor="library-search" className="visually-hidden">
            Search titles
          </label>
          <input
            id="library-search"
            type="search"
            name="q"
            placeholder="Search titles"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
          />
        </form>
      </div>
      {!q && page === 1 && progress.data && progress.data.items.length > 0 && (
        <ContinueWatching progress={progress.data.items} known={content.data?.items ?? EMPTY} />
      )}
      {!q && page === 1 && progress.data && progress.data.items.length > 0 && <h2 className="all-heading">All videos</h2>}
      <ErrorBox error={content.error}>
        {' '}
        <button type="button" className="link-button" onClick={content.reload}>
          Try again
        </button>
      </ErrorBox>
      {content.loading && !content.data ? (
        <Loading />
      ) : items.length === 0 && !content.error ? (
        <p className="empty">{q ? `Nothing matches “${q}”.` : 'Nothing to watch yet.'}</p>
      ) : (
        <ul className="content-grid" aria-busy={content.loading}>
          {items.map((item) => (
            <ContentCard key={item.id} item={item} progress={progressById.get(item.id)} />
          ))}
        </ul>
      )}
      {pages > 1 && (
        <nav className="pager" aria-label="Pages">
          <button type="button" disabled={page <= 1} onClick={() => goTo(page - 1)}>
            Previous
          </button>
          <span aria-live="polite">
            Page {page} of {pages}
          </span>
          <button type="button" disabled={page >= pages} onClick={() => goTo(page + 1)}>
            Next
          </button>
        </nav>
      )}
    </section>
  );
}
