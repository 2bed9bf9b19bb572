import { useEffect, useId, useRef, useState, useSyncExternalStore, type FormEvent, type ReactElement } from 'react';
import { createPortal } from 'react-dom';
import { useFresh } from '../lib/freshness';
import type { JoinRoomResponse } from './api';
import { MAX_MESSAGE_LENGTH, type ChatLine } from './chat/chat';
import { RealtimeSession, type Me, type MemberView, type SessionDeps, type SessionSnapshot } from './session';
import './realtime.css';

export interface RoomRealtimeProps {
  room: JoinRoomResponse;
  video: HTMLVideoElement | null;
  me: Me;
  /** Where the room's notices go: an element over the player (none: chat lines only). */
  noticeHost?: HTMLElement | null;
  /** Replacements for the room service and the mesh (tests). */
  deps?: SessionDeps;
}

/** How long a notice, or a chat line over a full-screen film, stays on screen. */
const NOTICE_MS = 5000;
const RECENT_MS = 6000;

const noop = (): (() => void) => () => undefined;

/** Watching together: keeps the page's <video> in sync with the room, and hosts chat and voice. */
export function RoomRealtime({ room, video, me, noticeHost, deps }: RoomRealtimeProps): ReactElement {
  const [session, setSession] = useState<RealtimeSession | null>(null);
  const [chatOpen, setChatOpen] = useState(true);
  const panelId = useId();
  const roomRef = useRef(room);
  roomRef.current = room;
  const meRef = useRef(me);
  meRef.current = me;
  const depsRef = useRef(deps);
  depsRef.current = deps;

  useEffect(() => {
    const s = new RealtimeSession(roomRef.current, { id: meRef.current.id, username: meRef.current.username }, depsRef.current);
    s.start();
    setSession(s);
    return () => {
      s.stop();
      setSession(null);
    };
  }, [room.id, me.id]);

  useEffect(() => {
    session?.setVideo(video);
  }, [session, video]);

  useEffect(() => {
    session?.updateJoin(room);
  }, [session, room]);

  const snap = useSyncExternalStore(session?.subscribe ?? noop, () => session?.getSnapshot() ?? null);

  if (!session || !snap) {
    return (
      <aside className="card rt" aria-label="Chat and voice">
        <p className="muted">Connecting…</p>
      </aside>
    );
  }
  return (
    <aside className={chatOpen ? 'card rt' : 'card rt rt-collapsed'} aria-label="Chat and voice">
      <div className="rt-head">
        <span className="rt-count">
          {snap.members.length} {snap.members.length === 1 ? 'person' : 'people'} here
        </span>
        {/* over a full-screen film the panel folds away, leaving who is here and the newest lines */}
        <button type="button" className="rt-fold" aria-expanded={chatOpen} aria-controls={panelId} onClick={() => setChatOpen(!chatOpen)}>
          {chatOpen ? 'Hide chat' : 'Show chat'}
        </button>
      </div>
      <Status snap={snap} onStart={() => session.startPlayback()} />
      <Members members={snap.members} />
      <div className="rt-body" id={panelId}>
        <VoiceControls snap={snap} session={session} />
        <Chat lines={snap.chat} onSend={(text) => session.sendChat(text)} />
      </div>
      {!chatOpen && <RecentLines lines={snap.chat} />}
      {noticeHost && createPortal(<Notices notices={snap.notices} />, noticeHost)}
    </aside>
  );
}

/** The room's newest actions over the player, read out politely by screen readers. */
function Notices({ notices }: { notices: readonly ChatLine[] }): ReactElement {
  const fresh = useFresh(notices, NOTICE_MS);
  return (
    <div className="rt-notices" role="status" aria-live="polite">
      {fresh.map((n) => (
        <p key={n.id} className="rt-notice">
          {n.text}
        </p>
      ))}
    </div>
  );
}

/** The newest chat lines for a few seconds, for when the chat is folded away over a full-screen film. */
function RecentLines({ lines }: { lines: readonly ChatLine[] }): ReactElement {
  const fresh = useFresh(lines, RECENT_MS).slice(-3);
  return (
    <ol className="rt-recent" aria-hidden="true">
      {fresh.map((l) => (
        <li key={l.id} className={l.kind === 'system' ? 'rt-line rt-system' : 'rt-line'}>
          {l.kind === 'user' && <strong className="rt-author">{l.name}</strong>} {l.text}
        </li>
      ))}
    </ol>
  );
}

function Status({ snap, onStart }: { snap: SessionSnapshot; onStart: () => void }): ReactElement {
  const label =
    snap.status === 'online' ? 'Connected' : snap.status === 'reconnecting' ? 'Reconnecting…' : snap.status === 'connecting' ? 'Connecting…' : 'Offline';
  const drift = Number.isFinite(snap.driftMs) ? `in sync ±${Math.round(Math.abs(snap.driftMs))} ms` : null;
  return (
    <div className="rt-status">
      <span className={`rt-dot rt-${snap.status}`} aria-hidden="true" />
      <span role="status">
        {label}
        {drift && snap.status === 'online' ? ` · ${drift}` : ''}
      </span>
      {snap.holding && snap.waitingForEncoder && (
        <p className="rt-wait" role="status">
          Waiting for more of the film to be encoded…
        </p>
      )}
      {snap.holding && !snap.waitingForEncoder && snap.waitingFor.length > 0 && (
        <p className="rt-wait" role="status">
          Waiting for {snap.waitingFor.join(', ')} to load (at most {snap.waitLimitS} s, then the room goes on)…
        </p>
      )}
      {snap.needsGesture && (
        <button type="button" className="rt-start" onClick={onStart}>
          Start playback
        </button>
      )}
    </div>
  );
}

function Members({ members }: { members: MemberView[] }): ReactElement {
  return (
    <ul className="rt-members" aria-label="Who is here">
      {members.map((m) => (
        <li key={m.user_id} className={m.speaking ? 'rt-member rt-speaking' : 'rt-member'} data-user={m.user_id}>
          <span className={m.linked ? 'rt-dot rt-online' : 'rt-dot rt-offline'} aria-hidden="true" />
          <span className="rt-name">
            {m.username}
            {m.self ? ' (you)' : ''}
          </span>
          {m.host && <span className="rt-tag">host</span>}
          {m.buffering && <span className="rt-tag">loading</span>}
          {m.voice?.on && (
            <span className="rt-tag" title={m.voice.muted ? 'in voice, muted' : 'in voice'}>
              {m.voice.muted ? 'muted' : 'voice'}
            </span>
          )}
          {m.speaking && <span className="rt-speaking-label">speaking</span>}
        </li>
      ))}
    </ul>
  );
}

function VoiceControls({ snap, session }: { snap: SessionSnapshot; session: RealtimeSession }): ReactElement {
  const v = snap.voice;
  const ptt = v.joined && v.pushToTalk;

  useEffect(() => {
    if (!ptt) return;
    const editable = (t: EventTarget | null): boolean =>
      t instanceof HTMLElement && (t.isContentEditable || t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT');
    const down = (e: KeyboardEvent): void => {
      if (e.code === 'KeyV' && !e.repeat && !editable(e.target)) session.setTalking(true);
    };
    const up = (e: KeyboardEvent): void => {
      if (e.code === 'KeyV') session.setTalking(false);
    };
    const blur = (): void => session.setTalking(false);
    window.addEventListener('keydown', down);
    window.addEventListener('keyup', up);
    window.addEventListener('blur', blur);
    return () => {
      window.removeEventListener('keydown', down);
      window.removeEventListener('keyup', up);
      window.removeEventListener('blur', blur);
    };
  }, [ptt, session]);

  return (
    <div className="rt-voice">
      <div className="rt-row">
        <button
          type="button"
          aria-pressed={v.joined}
          disabled={v.joining}
          onClick={() => (v.joined ? session.leaveVoice() : void session.joinVoice())}
        >
          {v.joining ? 'Joining voice…' : v.joined ? 'Leave voice' : 'Join voice'}
        </button>
        {v.joined && (
          <button type="button" aria-pressed={v.muted} onClick={() => session.setMuted(!v.muted)}>
            {v.muted ? 'Unmute microphone' : 'Mute microphone'}
          </button>
        )}
      </div>
      {v.error && (
        <p className="rt-error" role="alert">
          {v.error}
        </p>
      )}
      {v.joined && (
        <div className="rt-row">
          <label>
            <input type="checkbox" checked={v.pushToTalk} onChange={(e) => session.setPushToTalk(e.target.checked)} /> Push to talk
            (hold V)
          </label>
          {v.pushToTalk && (
            <button
              type="button"
              className={v.talking ? 'rt-talking' : undefined}
              onPointerDown={() => session.setTalking(true)}
              onPointerUp={() => session.setTalking(false)}
              onPointerLeave={() => session.setTalking(false)}
            >
              Hold to talk
            </button>
          )}
        </div>
      )}
      <label className="rt-row">
        <input type="checkbox" checked={snap.duck} onChange={(e) => session.setDuck(e.target.checked)} /> Lower the film while
        someone talks
      </label>
    </div>
  );
}

function clock(ts: number): string {
  const d = new Date(ts);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

function Chat({ lines, onSend }: { lines: readonly ChatLine[]; onSend: (text: string) => boolean }): ReactElement {
  const [text, setText] = useState('');
  const logRef = useRef<HTMLOListElement | null>(null);
  const stick = useRef(true);

  useEffect(() => {
    const el = logRef.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [lines]);

  const submit = (e: FormEvent): void => {
    e.preventDefault();
    if (onSend(text)) setText('');
  };

  return (
    <div className="rt-chat">
      <ol
        className="rt-chat-log"
        ref={logRef}
        aria-label="Chat messages"
        aria-live="polite"
        onScroll={(e) => {
          const el = e.currentTarget;
          stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
        }}
      >
        {lines.map((l) =>
          l.kind === 'system' ? (
            <li key={l.id} className="rt-line rt-system">
              <time dateTime={new Date(l.ts).toISOString()}>{clock(l.ts)}</time> {l.text}
            </li>
          ) : (
            <li key={l.id} className="rt-line">
              <time dateTime={new Date(l.ts).toISOString()}>{clock(l.ts)}</time> <strong className="rt-author">{l.name}</strong>{' '}
              <span className="rt-text">{l.text}</span>
            </li>
          ),
        )}
      </ol>
      <form className="rt-chat-form" onSubmit={submit}>
        <input
          name="message"
          type="text"
          autoComplete="off"
          maxLength={MAX_MESSAGE_LENGTH}
          placeholder="Say something"
          aria-label="Chat message"
          value={text}
          onChange={(e) => setText(e.target.value)}
        />
        <button type="submit">Send</button>
      </form>
    </div>
  );
}
