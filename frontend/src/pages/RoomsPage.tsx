import { useTitle } from '../lib/useTitle';
import { useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { createRoom, myRooms, parseRoomCode } from '../api/rooms';
import { ErrorBox, Loading, PinInput } from '../components/ui';
import { formatDate } from '../lib/format';
import { useAsync } from '../lib/useAsync';

export default function RoomsPage() {
  useTitle('Rooms');
  const navigate = useNavigate();
  const recent = useAsync(() => myRooms(), []);

  const [name, setName] = useState('');
  const [pin, setPin] = useState('');
  const [createError, setCreateError] = useState<unknown>(null);
  const [creating, setCreating] = useState(false);

  const [code, setCode] = useState('');
  const [joinPin, setJoinPin] = useState('');

  const onCreate = async (event: FormEvent) => {
    event.preventDefault();
    setCreating(true);
    setCreateError(null);
    try {
      const room = await createRoom({ name: name.trim() || 'Movie night', pin: pin || undefined });
      navigate(`/rooms/${encodeURIComponent(room.id)}`, { state: { pin: pin || undefined } });
    } catch (err) {
      setCreateError(err);
      setCreating(false);
    }
  };

  const onJoin = (event: FormEvent) => {
    event.preventDefault();
    const id = parseRoomCode(code);
    if (!id) return;
    // The room page joins (and reports a wrong PIN or too many tries there).
    navigate(`/rooms/${encodeURIComponent(id)}`, { state: { pin: joinPin || undefined } });
  };

  return (
    <section className="page">
      <h1>Rooms</h1>
      <div className="two-col">
        <form className="card form" onSubmit={onCreate} aria-labelledby="create-room-h">
          <h2 id="create-room-h">Create a room</h2>
          <label htmlFor="new-room-name">Name</label>
          <input id="new-room-name" name="name" required maxLength={80} value={name} placeholder="Movie night" onChange={(e) => setName(e.target.value)} />
          <label htmlFor="new-room-pin">PIN (optional, 4–12 digits)</label>
          <PinInput id="new-room-pin" value={pin} onChange={setPin} checkLength />
          <ErrorBox error={createError} />
          <button type="submit" className="primary" disabled={creating}>
            {creating ? 'Creating…' : 'Create room'}
          </button>
          <p className="hint">Pick what to watch inside the room, or start from a title in the library.</p>
        </form>
        <form className="card form" onSubmit={onJoin} aria-labelledby="join-room-h">
          <h2 id="join-room-h">Join a room</h2>
          <label htmlFor="join-code">Room code or link</label>
          <input id="join-code" name="room" required autoComplete="off" spellCheck={false} value={code} onChange={(e) => setCode(e.target.value)} />
          <label htmlFor="join-pin">PIN (if the room has one)</label>
          <PinInput id="join-pin" value={joinPin} onChange={setJoinPin} />
          <button type="submit" className="primary">
            Join
          </button>
        </form>
      </div>
      <h2>My recent rooms</h2>
      {recent.loading && !recent.data ? (
        <Loading />
      ) : recent.error ? (
        <ErrorBox error={recent.error} />
      ) : recent.data && recent.data.length ? (
        <ul className="list">
          {recent.data.map((room) => (
            <li key={room.id} className="list-row">
              <Link to={`/rooms/${encodeURIComponent(room.id)}`}>{room.name}</Link>
              <span className="muted">
                {[
                  room.has_pin ? 'PIN' : null,
                  room.is_host ? 'you host' : null,
                  room.content_title ?? null,
                  room.members !== undefined ? `${room.members} watching` : null,
                  room.last_joined !== undefined ? `joined ${formatDate(room.last_joined)}` : null,
                ]
                  .filter(Boolean)
                  .join(' · ')}
              </span>
            </li>
          ))}
        </ul>
      ) : (
        <p className="empty">No rooms yet.</p>
      )}
    </section>
  );
}
