import { useTitle } from '../../lib/useTitle';
import { useState } from 'react';
import { Link } from 'react-router';
import { deleteContent, listContent, reprocessContent } from '../../api/content';
import type { ContentItem } from '../../api/types';
import { ErrorBox, Loading, ProgressBar, StatusBadge } from '../../components/ui';
import { formatDate, formatDuration } from '../../lib/format';
import { useAsync, useInterval } from '../../lib/useAsync';
import { renditionRows } from '../../lib/adminContent';

const PER_PAGE = 50;

export default function ContentAdminPage() {
  useTitle('Processing');
  const [page, setPage] = useState(1);
  const [q, setQ] = useState('');
  const list = useAsync((signal) => listContent({ q: q.trim() || undefined, page, perPage: PER_PAGE }, signal), [page, q]);
  const [actionError, setActionError] = useState<unknown>(null);
  const [show, setShow] = useState<'all' | 'processing' | 'failed' | 'ready'>('all');
  const all = list.data?.items ?? [];
  const items = show === 'all' ? all : all.filter((i) => i.status === show);
  const counts = { processing: 0, failed: 0, ready: 0 };
  all.forEach((i) => {
    if (i.status === 'processing' || i.status === 'failed' || i.status === 'ready') counts[i.status] += 1;
  });
  const busy = all.some((i) => i.status === 'processing');
  useInterval(list.reload, busy ? 2000 : 10000);

  const act = async (action: () => Promise<unknown>) => {
    setActionError(null);
    try {
      await action();
      list.reload();
    } catch (err) {
      setActionError(err);
    }
  };

  const pages = Math.max(1, Math.ceil((list.data?.total ?? 0) / PER_PAGE));
  return (
    <section className="page">
      <div className="page-head">
        <h1>Processing</h1>
        <div className="search">
          <label htmlFor="admin-search" className="visually-hidden">
            Search titles
          </label>
          <input id="admin-search" type="search" placeholder="Search titles" value={q} onChange={(e) => { setQ(e.target.value); setPage(1); }} />
        </div>
        <label className="inline-select">
          <span>Show</span>
          <select value={show} onChange={(e) => setShow(e.target.value as typeof show)}>
            <option value="all">All ({all.length})</option>
            <option value="processing">Processing ({counts.processing})</option>
            <option value="failed">Failed ({counts.failed})</option>
            <option value="ready">Ready ({counts.ready})</option>
          </select>
        </label>
        <Link className="button primary" to="/admin/upload">
          Upload
        </Link>
      </div>
      <ErrorBox error={list.error} />
      <ErrorBox error={actionError} />
      {list.loading && !list.data ? (
        <Loading />
      ) : items.length === 0 ? (
        <p className="empty">{all.length ? 'Nothing in this state on this page.' : 'No content yet.'}</p>
      ) : (
        <ul className="admin-items">
          {items.map((item) => (
            <AdminItem
              key={item.id}
              item={item}
              onRetry={() => {
                if (item.status !== 'failed' && !window.confirm(`Process “${item.title}” again from its source?`)) return;
                void act(() => reprocessContent(item.id));
              }}
              onDelete={() => {
                if (window.confirm(`Delete “${item.title}” and all its files?`)) void act(() => deleteContent(item.id));
              }}
            />
          ))}
        </ul>
      )}
      {pages > 1 && (
        <nav className="pager" aria-label="Pages">
          <button type="button" disabled={page <= 1} onClick={() => setPage(page - 1)}>
            Previous
          </button>
          <span>
            Page {page} of {pages}
          </span>
          <button type="button" disabled={page >= pages} onClick={() => setPage(page + 1)}>
            Next
          </button>
        </nav>
      )}
    </section>
  );
}

function AdminItem({ item, onRetry, onDelete }: { item: ContentItem; onRetry: () => void; onDelete: () => void }) {
  const rows = renditionRows(item);
  return (
    <li className="card admin-item" data-status={item.status}>
      <div className="admin-item-head">
        <h2 className="admin-item-title">
          <Link to={`/admin/content/${encodeURIComponent(item.id)}`}>{item.title}</Link>
        </h2>
        <StatusBadge status={item.status} />
        <span className="muted">
          {formatDuration(item.duration)}
          {item.created_at !== undefined && ` · ${formatDate(item.created_at)}`}
        </span>
      </div>
      {item.status === 'processing' && (
        <ProgressBar value={item.progress ?? 0} label={`Processing ${item.title}: ${Math.round(item.progress ?? 0)}%`} />
      )}
      {item.status === 'failed' && item.error && (
        <p className="error" role="status">
          Failed: {item.error}
        </p>
      )}
      {rows.length > 0 && (
        <table className="renditions">
          <caption className="visually-hidden">Versions of {item.title}</caption>
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">State</th>
              <th scope="col">Progress</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.key}>
                <td>{row.label}</td>
                <td>
                  <StatusBadge status={row.status} />
                  {row.error && <span className="error-inline"> {row.error}</span>}
                </td>
                <td>
                  {row.progress !== null ? <ProgressBar value={row.progress} label={`${row.label} ${Math.round(row.progress)}%`} /> : '–'}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div className="actions">
        <Link className="button" to={`/admin/content/${encodeURIComponent(item.id)}`}>
          Edit
        </Link>
        <button type="button" onClick={onRetry}>
          {item.status === 'failed' ? 'Retry' : 'Process again'}
        </button>
        <button type="button" className="danger" onClick={onDelete}>
          Delete
        </button>
      </div>
    </li>
  );
}
