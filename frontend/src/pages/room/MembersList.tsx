import { removeMember, setHost } from '../../api/rooms';
import type { Room, User } from '../../api/types';
import { ErrorBox } from '../../components/ui';
import { useRoomAction } from './useRoomAction';

export function MembersList({ room, me, onChanged }: { room: Room; me: User; onChanged: () => Promise<void> }) {
  const { busy, error, run } = useRoomAction(onChanged);
  const isHost = room.host_id === me.id;
  const isOwner = room.owner_id === me.id;
  return (
    <section className="card" aria-labelledby="members-h">
      <h2 id="members-h">
        In the room <span className="count">({room.members.length})</span>
      </h2>
      <ul className="members">
        {room.members.map((m) => (
          <li key={m.user_id || m.username} className={m.online === false ? 'offline' : ''}>
            <span className={`dot ${m.online === false ? 'off' : 'on'}`} aria-hidden="true" />
            <span className="member-name">{m.username}</span>
            {m.user_id === room.host_id && <span className="badge">host</span>}
            {m.user_id === me.id && <span className="muted"> (you)</span>}
            {m.online === false && <span className="visually-hidden"> (away)</span>}
            {isHost && m.user_id !== me.id && m.user_id && (
              <button type="button" className="link-button small" disabled={busy} onClick={() => run(() => setHost(room.id, m.user_id))}>
                Make host
              </button>
            )}
            {isOwner && m.user_id !== me.id && m.user_id && (
              <button
                type="button"
                className="link-button small"
                disabled={busy}
                aria-label={`Remove ${m.username} from the room`}
                onClick={() => {
                  if (window.confirm(`Remove ${m.username} from the room? They cannot come back into it.`)) {
                    void run(() => removeMember(room.id, m.user_id));
                  }
                }}
              >
                Remove
              </button>
            )}
          </li>
        ))}
      </ul>
      <ErrorBox error={error} />
    </section>
  );
}
