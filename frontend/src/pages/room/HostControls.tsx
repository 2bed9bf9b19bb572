import { playNext, setLocked } from '../../api/rooms';
import type { Room } from '../../api/types';
import { ErrorBox } from '../../components/ui';
import { useRoomAction } from './useRoomAction';

export function HostControls({ room, onChanged }: { room: Room; onChanged: () => Promise<void> }) {
  const { busy, error, run } = useRoomAction(onChanged);
  const winner = room.queue[0];
  return (
    <section className="card" aria-labelledby="host-h">
      <h2 id="host-h">Host controls</h2>
      <div className="stack">
        <button type="button" disabled={busy || !winner} onClick={() => run(() => playNext(room.id))}>
          {winner ? `Play the winner now${winner.title ? `: ${winner.title}` : ''}` : 'No proposals to play'}
        </button>
        <label className="checkbox">
          <input type="checkbox" checked={room.locked} disabled={busy} onChange={(e) => run(() => setLocked(room.id, e.target.checked))} />
          Only I can control playback
        </label>
      </div>
      <ErrorBox error={error} />
    </section>
  );
}
