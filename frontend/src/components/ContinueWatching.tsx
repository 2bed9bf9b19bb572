import { useEffect, useState } from 'react';
import { Link } from 'react-router';
import { getContent } from '../api/content';
import type { ContentItem, ProgressEntry } from '../api/types';
import { formatDuration } from '../lib/format';
import { resumable } from '../lib/resume';
import { Poster, ProgressBar } from './ui';

const MAX = 6;

/** Items the viewer started and did not finish, most recent first, each resuming where it stopped. */
export function ContinueWatching({ progress, known }: { progress: ProgressEntry[]; known: ContentItem[] }) {
  const entries = resumable(progress, MAX);
  const [items, setItems] = useState<Record<string, ContentItem>>({});
  const wanted = entries.map((e) => e.content_id).join(',');

  useEffect(() => {
    const controller = new AbortController();
    const byId: Record<string, ContentItem> = {};
    known.forEach((item) => {
      byId[item.id] = item;
    });
    const ids = wanted ? wanted.split(',') : [];
    Promise.all(
      ids.map((id) => (byId[id] ? Promise.resolve(byId[id]) : getContent(id, controller.signal).catch(() => null))),
    ).then((found) => {
      if (controller.signal.aborted) return;
      const next: Record<string, ContentItem> = {};
      found.forEach((item) => {
        if (item && item.status === 'ready') next[item.id] = item;
      });
      setItems(next);
    });
    return () => controller.abort();
  }, [wanted, known]);

  const shown = entries.filter((e) => items[e.content_id]);
  if (!shown.length) return null;
  return (
    <section className="continue" aria-labelledby="continue-h">
      <h2 id="continue-h">Continue watching</h2>
      <ul className="continue-row">
        {shown.map((entry) => {
          const item = items[entry.content_id];
          const duration = entry.duration ?? item.duration;
          return (
            <li key={entry.content_id} className="content-card">
              <Link to={`/watch/${encodeURIComponent(item.id)}?t=${Math.floor(entry.position)}`} className="content-link">
                <div className="poster-wrap">
                  <Poster src={item.thumbnail} alt="" />
                  <span className="duration">{formatDuration(entry.position)} / {formatDuration(duration)}</span>
                </div>
                <span className="content-title">
                  <span className="visually-hidden">Resume </span>
                  {item.title}
                </span>
              </Link>
              {duration ? (
                <ProgressBar value={(entry.position / duration) * 100} label={`Watched of ${item.title}`} className="watched" />
              ) : null}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
