import { useTitle } from '../lib/useTitle';
import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { getContent, getProgress } from '../api/content';
import { createRoom } from '../api/rooms';
import { ErrorBox, Loading, Poster, PinInput, ProgressBar } from '../components/ui';
import { useAuth } from '../auth/useAuth';
import { formatDuration, resumePosition, watchedPercent } from '../lib/format';
import { languageName } from '../lib/languages';
import { useAsync } from '../lib/useAsync';
import { qualityLabel } from '../lib/rendition';

export default function ItemPage() {
  const { id = '' } = useParams();
  const navigate = useNavigate();
  const { isAdmin } = useAuth();
  const item = useAsync((signal) => getContent(id, signal), [id]);
  const progress = useAsync(
    (signal) =>
      getProgress(signal)
        .then((list) => list.items.find((p) => p.content_id === id) ?? null)
        .catch(() => null),
    [id],
  );
  useTitle(item.data?.title);
  const [roomOpen, setRoomOpen] = useState(false);
  const [roomName, setRoomName] = useState('');
  const [pin, setPin] = useState('');
  const [roomError, setRoomError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  if (item.loading && !item.data) return <Loading />;
  if (item.error || !item.data) {
    return (
      <section className="page">
        <ErrorBox error={item.error ?? new Error('Not found.')} />
        <Link to="/">Back to the library</Link>
      </section>
    );
  }
  const content = item.data;
  const saved = progress.data;
  const resumeAt = resumePosition(saved?.position, saved?.duration ?? content.duration);
  const percent = watchedPercent(saved?.position, saved?.duration ?? content.duration);
  const heights = Array.from(new Set(content.renditions.map((r) => r.height))).sort((a, b) => b - a);

  const onCreateRoom = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setRoomError(null);
    try {
      const room = await createRoom({ name: roomName.trim() || `${content.title} night`, pin: pin || undefined, content_id: content.id });
      navigate(`/rooms/${encodeURIComponent(room.id)}`, { state: { pin: pin || undefined } });
    } catch (err) {
      setRoomError(err);
      setBusy(false);
    }
  };

  return (
    <section className="page item-page">
      <nav aria-label="Breadcrumb" className="crumbs">
        <Link to="/">Library</Link>
      </nav>
      <div className="item-layout">
        <Poster src={content.thumbnail} alt={`Poster of ${content.title}`} className="item-poster" />
        <div className="item-info">
          <h1>{content.title}</h1>
          <p className="meta">
            {formatDuration(content.duration)}
            {heights.length > 0 && <> · up to {qualityLabel(heights[0])}</>}
          </p>
          {content.description ? <p className="description">{content.description}</p> : <p className="muted">No description.</p>}
          <h2 className="small-heading">Subtitles</h2>
          {content.subtitles.length ? (
            <ul className="chips">
              {content.subtitles.map((s) => (
                <li key={s.url} className="chip" lang={s.lang}>
                  {s.label || languageName(s.lang)}
                </li>
              ))}
            </ul>
          ) : (
            <p className="muted">None.</p>
          )}
          {percent !== null && <ProgressBar value={percent} label={`${Math.round(percent)}% watched`} className="watched" />}
          <div className="actions">
            <Link className="button primary" to={`/watch/${encodeURIComponent(content.id)}${resumeAt ? `?t=${Math.floor(resumeAt)}` : ''}`}>
              {resumeAt ? `Resume alone at ${formatDuration(resumeAt)}` : 'Watch alone'}
            </Link>
            {resumeAt > 0 && (
              <Link className="button" to={`/watch/${encodeURIComponent(content.id)}`}>
                Watch alone from the start
              </Link>
            )}
            <button type="button" className="button" aria-expanded={roomOpen} onClick={() => setRoomOpen((o) => !o)}>
              Watch with friends
            </button>
            {isAdmin && (
              <Link className="button" to={`/admin/content/${encodeURIComponent(content.id)}`}>
                Edit
              </Link>
            )}
          </div>
          {roomOpen && (
            <form className="card form" onSubmit={onCreateRoom} aria-label="Create a room">
              <label htmlFor="room-name">Room name</label>
              <input
                id="room-name"
                name="name"
                value={roomName}
                placeholder={`${content.title} night`}
                maxLength={80}
                onChange={(e) => setRoomName(e.target.value)}
              />
              <label htmlFor="room-pin">PIN (optional, 4–12 digits)</label>
              <PinInput id="room-pin" value={pin} onChange={setPin} checkLength />
              <ErrorBox error={roomError} />
              <button type="submit" className="primary" disabled={busy}>
                {busy ? 'Creating…' : 'Create room'}
              </button>
            </form>
          )}
        </div>
      </div>
    </section>
  );
}
