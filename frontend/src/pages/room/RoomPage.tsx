import { useTitle } from '../../lib/useTitle';
import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { Link, useLocation, useParams } from 'react-router';
import { ApiError, describeError, formatWait } from '../../api/client';
import { getContent } from '../../api/content';
import type { ContentItem } from '../../api/types';
import { useAuth } from '../../auth/useAuth';
import { Player, preparePlayer, prepareStream } from '../../components/Player';
import { ErrorBoundary } from '../../components/ErrorBoundary';
import { ErrorBox, Loading, PinInput } from '../../components/ui';
import { useAsync } from '../../lib/useAsync';
import { useCountdown } from '../../lib/useCountdown';
import { MembersList } from './MembersList';
import { HostControls } from './HostControls';
import { VoteQueue } from './VoteQueue';
import { RealtimeSlot } from './realtimeSlot';
import { useRoomSession } from './useRoomSession';

export default function RoomPage() {
  const { roomId = '' } = useParams();
  return <RoomView key={roomId} roomId={roomId} />;
}

function RoomView({ roomId }: { roomId: string }) {
  const { user } = useAuth();
  const location = useLocation();
  const initialPin = (location.state as { pin?: string } | null)?.pin;
  const [video, setVideo] = useState<HTMLVideoElement | null>(null);
  const [noticeHost, setNoticeHost] = useState<HTMLDivElement | null>(null);
  // full screen takes the whole room view, so chat and who is talking stay in sight
  const viewRef = useRef<HTMLElement>(null);
  const session = useRoomSession(roomId, initialPin, video);
  const { phase, room, join } = session;
  // the player's code loads while the room is joined and its film fetched
  useEffect(preparePlayer, []);

  // The item playing, fetched from the library for fresh signed media links.
  const contentId = room?.content_id ?? null;
  const fetched = useAsync<ContentItem | null>(
    (signal) => (contentId ? getContent(contentId, signal).then(prepareStream) : Promise.resolve(null)),
    [contentId],
  );
  const current = fetched.data && fetched.data.id === contentId ? fetched.data : null;
  useTitle(room ? `Room: ${room.name}` : 'Room');
  const currentTitle = current?.title ?? room?.content?.title ?? null;

  if (!user) return null;
  if (phase.kind === 'joining' && !join) return <Loading label="Joining the room…" />;
  if (phase.kind === 'pin') return <PinForm roomId={roomId} error={phase.error} onSubmit={session.submitPin} />;
  if (phase.kind === 'failed' || !room || !join) {
    return (
      <section className="page narrow">
        <h1>Cannot open this room</h1>
        <ErrorBox error={phase.kind === 'failed' ? phase.error : null} context="join-room" />
        <Link to="/rooms">Back to rooms</Link>
      </section>
    );
  }

  const isHost = room.host_id === user.id;
  const canControl = isHost || !room.locked;
  return (
    <section className="page room-page" aria-labelledby="room-title" ref={viewRef}>
      <div className="page-head">
        <h1 id="room-title">{room.name}</h1>
        <ShareLink roomId={room.id} />
      </div>
      <div className="room-layout">
        <div className="room-main">
          <p className="now-playing">
            {currentTitle ? (
              <>
                <span className="muted">Now playing:</span> <strong>{currentTitle}</strong>
              </>
            ) : contentId ? (
              'Loading what is playing…'
            ) : (
              'Nothing is playing yet. Propose something below and vote.'
            )}
            {room.locked && <span className="badge">Playback locked by the host</span>}
          </p>
          {current && (
            <Player
              key={current.id}
              item={current}
              videoRef={setVideo}
              onMediaError={fetched.reload}
              fullscreenTarget={viewRef}
            >
              <div className="player-notices" ref={setNoticeHost} />
            </Player>
          )}
          {!canControl && <p className="hint">The host has locked playback: only the host can play, pause or seek.</p>}
        </div>
        <div className="room-queue">
          <VoteQueue room={room} me={user} onChanged={session.refresh} />
        </div>
        <div className="room-side">
          <ErrorBoundary
            fallback={(error, retry) => (
              <section className="card" role="alert">
                <h2>Chat and voice stopped</h2>
                <p className="muted">{error.message}</p>
                <button type="button" onClick={retry}>
                  Reconnect
                </button>
              </section>
            )}
          >
            <RealtimeSlot room={join} video={video} me={user} noticeHost={noticeHost} />
          </ErrorBoundary>
          <MembersList room={room} me={user} onChanged={session.refresh} />
          {isHost && <HostControls room={room} onChanged={session.refresh} />}
        </div>
      </div>
    </section>
  );
}

function ShareLink({ roomId }: { roomId: string }) {
  const [copied, setCopied] = useState(false);
  const link = useMemo(() => `${window.location.origin}/rooms/${encodeURIComponent(roomId)}`, [roomId]);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(link);
      setCopied(true);
      window.setTimeout(() => setCopied(false), 2000);
    } catch {
      setCopied(false);
    }
  };
  return (
    <div className="share">
      <span className="muted">
        Code <code>{roomId}</code>
      </span>
      <button type="button" onClick={copy}>
        {copied ? 'Link copied' : 'Copy invite link'}
      </button>
    </div>
  );
}

function PinForm({ roomId, error, onSubmit }: { roomId: string; error: unknown; onSubmit: (pin: string) => void }) {
  const [pin, setPin] = useState('');
  const retryAfter = error instanceof ApiError && error.status === 429 ? (error.retryAfter ?? 30) : 0;
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const until = useMemo(() => (retryAfter ? Date.now() + retryAfter * 1000 : null), [error]);
  const wait = useCountdown(until);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (pin && wait === 0) onSubmit(pin);
  };
  let message: string | null = null;
  if (error instanceof ApiError && error.status === 429) {
    message = wait > 0 ? `Too many wrong PINs. Please wait ${formatWait(wait)} and try again.` : 'You can try again now.';
  } else if (error) {
    message = describeError(error, 'join-room');
  }
  return (
    <section className="page narrow">
      <h1>This room has a PIN</h1>
      <form className="card form" onSubmit={submit}>
        <p className="muted">
          Room <code>{roomId}</code>
        </p>
        <label htmlFor="room-pin-entry">PIN</label>
        <PinInput id="room-pin-entry" value={pin} onChange={setPin} required autoFocus />
        {message && (
          <div className={wait === 0 && error instanceof ApiError && error.status === 429 ? 'notice' : 'error'} role="alert">
            {message}
          </div>
        )}
        <button type="submit" className="primary" disabled={wait > 0 || !pin}>
          Join
        </button>
      </form>
      <Link to="/rooms">Back to rooms</Link>
    </section>
  );
}
