import { useEffect, useMemo, useState } from 'react';
import { listContent } from '../../api/content';
import { propose, setRoomContent, vote } from '../../api/rooms';
import type { ContentItem, Room, User } from '../../api/types';
import { ErrorBox } from '../../components/ui';
import { formatDuration } from '../../lib/format';
import { useRoomAction } from './useRoomAction';

export function VoteQueue({ room, me, onChanged }: { room: Room; me: User; onChanged: () => Promise<void> }) {
  const { busy, error, run } = useRoomAction(onChanged);
  const [query, setQuery] = useState('');
  const [results, setResults] = useState<ContentItem[]>([]);
  const [titles, setTitles] = useState<Record<string, string>>({});
  const isHost = room.host_id === me.id;

  // Search the library to propose something.
  useEffect(() => {
    const controller = new AbortController();
    const id = window.setTimeout(() => {
      listContent({ q: query.trim() || undefined, perPage: 8 }, controller.signal)
        .then((page) => {
          const ready = page.items.filter((i) => i.status === 'ready');
          setResults(ready);
          setTitles((t) => ({ ...t, ...Object.fromEntries(ready.map((i) => [i.id, i.title])) }));
        })
        .catch(() => undefined);
    }, 250);
    return () => {
      window.clearTimeout(id);
      controller.abort();
    };
  }, [query]);

  const totalVotes = useMemo(() => room.queue.reduce((sum, e) => sum + e.votes, 0), [room.queue]);
  const proposed = new Set(room.queue.map((e) => e.content_id));

  return (
    <section className="card vote-queue" aria-labelledby="queue-h">
      <h2 id="queue-h">Up next, by vote</h2>
      {room.queue.length === 0 ? (
        <p className="muted">No proposals yet.</p>
      ) : (
        <ol className="queue">
          {room.queue.map((entry, index) => {
            const title = entry.title ?? titles[entry.content_id] ?? entry.content_id;
            const voted = entry.voters.includes(me.id);
            const share = totalVotes ? (entry.votes / totalVotes) * 100 : 0;
            return (
              <li key={entry.content_id} className="queue-row">
                <div className="queue-bar" style={{ width: `${share}%` }} aria-hidden="true" />
                <span className="queue-title">
                  {index === 0 && entry.votes > 0 && <span className="badge">leading</span>} {title}
                </span>
                <span className="tally" aria-label={`${entry.votes} vote${entry.votes === 1 ? '' : 's'}`}>
                  {entry.votes}
                </span>
                <button
                  type="button"
                  disabled={voted || busy}
                  aria-pressed={voted}
                  onClick={() => run(() => vote(room.id, entry.content_id))}
                >
                  {voted ? 'Voted' : 'Vote'}
                  <span className="visually-hidden"> for {title}</span>
                </button>
                {isHost && (
                  <button
                    type="button"
                    disabled={busy}
                    onClick={() => run(() => setRoomContent(room.id, entry.content_id))}
                  >
                    Play now<span className="visually-hidden"> {title}</span>
                  </button>
                )}
              </li>
            );
          })}
        </ol>
      )}
      <ErrorBox error={error} />
      <details className="propose">
        <summary>Propose something from the library</summary>
        <label htmlFor="propose-search" className="visually-hidden">
          Search the library
        </label>
        <input id="propose-search" type="search" placeholder="Search titles" value={query} onChange={(e) => setQuery(e.target.value)} />
        <ul className="list">
          {results.map((item) => (
            <li key={item.id} className="list-row">
              <span>
                {item.title} <span className="muted">{formatDuration(item.duration)}</span>
              </span>
              <button
                type="button"
                disabled={proposed.has(item.id) || busy}
                onClick={() => run(() => propose(room.id, item.id))}
              >
                {proposed.has(item.id) ? 'Proposed' : 'Propose'}
                <span className="visually-hidden"> {item.title}</span>
              </button>
            </li>
          ))}
        </ul>
      </details>
    </section>
  );
}
