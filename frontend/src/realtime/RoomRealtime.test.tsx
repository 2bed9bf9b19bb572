import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { JoinRoomResponse, RealtimeApi } from './api';
import type { Mesh, MeshEvents } from './mesh/mesh';
import type { WireMessage } from './protocol';
import { RoomRealtime } from './RoomRealtime';
import { RealtimeSession } from './session';

const room: JoinRoomResponse = {
  id: 'r1',
  name: 'Room',
  host_id: 'u1',
  members: [
    { user_id: 'u1', username: 'ann', peer_id: 'r1-u1-a' },
    { user_id: 'u2', username: 'bob', peer_id: 'r1-u2-b' },
  ],
  content_id: 'c1',
  playback: { playing: false, position: 12, updated_at: Date.now(), rate: 1 },
  locked: false,
  peer: { host: '127.0.0.1', port: 8000, path: '/peerjs/9000', key: 'k', secure: false, token: 't', peer_id: 'r1-u1-a' },
  ice_servers: [],
};

function fakes() {
  const sent: WireMessage[] = [];
  let events: MeshEvents = {};
  const mesh = {
    id: 'r1-u1-a',
    status: 'online',
    current: null,
    linked: ['r1-u2-b'],
    setEvents: (e: MeshEvents) => {
      events = e;
    },
    start: vi.fn(),
    stop: vi.fn(),
    broadcast: (m: WireMessage) => {
      sent.push(m);
      return 1;
    },
    send: (_r: string, m: WireMessage) => {
      sent.push(m);
      return true;
    },
    setMembers: vi.fn(),
    forget: vi.fn(),
    replaceServer: vi.fn(),
    disconnect: vi.fn(),
    serverIndex: 0,
    refuse: vi.fn(() => [] as string[]),
  };
  const api: RealtimeApi = {
    clock: async () => ({ t1: Date.now(), t2: Date.now() }),
    heartbeat: vi.fn(async () => ({ locked: false, host_id: 'u1', members: room.members })),
    playback: vi.fn(async () => ({})),
    join: vi.fn(async () => room),
  };
  return { sent, api, mesh, events: () => events };
}

/** Bob's introduction, with the chat history he hands over. */
function bobHello(chat: unknown[]): WireMessage {
  return { type: 'hello', v: 1, peer_id: 'r1-u2-b', user_id: 'u2', username: 'bob', state: null, chat, voice: { on: false, muted: false }, buffering: false, members: [], locked: false, host_id: 'u1' } as WireMessage;
}

afterEach(() => cleanup());

async function flush(): Promise<void> {
  await act(async () => {
    await new Promise((r) => setTimeout(r, 40));
  });
}

describe('RoomRealtime', () => {
  it('has the chat input and the voice button the app promises', async () => {
    const f = fakes();
    render(<RoomRealtime room={room} video={null} me={{ id: 'u1', username: 'ann' }} deps={{ api: f.api, mesh: () => f.mesh as unknown as Mesh }} />);
    await flush();
    expect(document.querySelectorAll('input[name="message"]')).toHaveLength(1);
    const voice = screen.getAllByRole('button', { name: /voice/i });
    expect(voice).toHaveLength(1);
    expect(voice[0].textContent).toBe('Join voice');
    expect(screen.getByText('bob')).toBeTruthy();
  });

  it('sends a chat line on Enter and shows it', async () => {
    const f = fakes();
    render(<RoomRealtime room={room} video={null} me={{ id: 'u1', username: 'ann' }} deps={{ api: f.api, mesh: () => f.mesh as unknown as Mesh }} />);
    await flush();
    const input = document.querySelector('input[name="message"]') as HTMLInputElement;
    fireEvent.change(input, { target: { value: '  hello there  ' } });
    fireEvent.submit(input.form as HTMLFormElement);
    await flush();
    const chat = f.sent.filter((m) => m.type === 'chat');
    expect(chat).toHaveLength(1);
    expect(chat[0].type === 'chat' && chat[0].line.text).toBe('hello there');
    expect(input.value).toBe('');
    expect(screen.getByText('hello there')).toBeTruthy();
  });

  it('renders received markup as text, under the name the sender introduced itself with', async () => {
    const f = fakes();
    render(<RoomRealtime room={room} video={null} me={{ id: 'u1', username: 'ann' }} deps={{ api: f.api, mesh: () => f.mesh as unknown as Mesh }} />);
    await flush();
    act(() => {
      f.events().onLink?.('r1-u2-b', true);
      f.events().onMessage?.(bobHello([]), 'r1-u2-b');
      f.events().onMessage?.(
        { type: 'chat', line: { id: 'x1', kind: 'user', user_id: 'u2', name: 'admin', text: '<img src=x onerror=alert(1)>', ts: Date.now() } },
        'r1-u2-b',
      );
    });
    await flush();
    expect(document.querySelector('.rt-chat-log img')).toBeNull();
    expect(screen.getByText('<img src=x onerror=alert(1)>')).toBeTruthy();
    const line = screen.getByText('<img src=x onerror=alert(1)>').closest('li');
    expect(line?.querySelector('.rt-author')?.textContent).toBe('bob');
    // our hello went out when the link came up, with our history
    expect(f.sent.some((m) => m.type === 'hello')).toBe(true);
  });

  it('merges the history a peer hands over, once', async () => {
    const f = fakes();
    render(<RoomRealtime room={room} video={null} me={{ id: 'u1', username: 'ann' }} deps={{ api: f.api, mesh: () => f.mesh as unknown as Mesh }} />);
    await flush();
    const history = [
      { id: 'h1', kind: 'user', user_id: 'u2', name: 'bob', text: 'first', ts: 1000 },
      { id: 'h2', kind: 'user', user_id: 'u2', name: 'bob', text: 'second', ts: 2000 },
    ];
    const hello = bobHello(history);
    act(() => {
      f.events().onLink?.('r1-u2-b', true);
      f.events().onMessage?.(hello, 'r1-u2-b');
      f.events().onMessage?.(hello, 'r1-u2-b');
    });
    await flush();
    const texts = [...document.querySelectorAll('.rt-chat-log .rt-text')].map((e) => e.textContent);
    expect(texts).toEqual(['first', 'second']);
  });
});

describe('room notices', () => {
  function renderWithHost(f: ReturnType<typeof fakes>): HTMLElement {
    const host = document.createElement('div');
    document.body.appendChild(host);
    render(
      <RoomRealtime room={room} video={null} me={{ id: 'u1', username: 'ann' }} noticeHost={host} deps={{ api: f.api, mesh: () => f.mesh as unknown as Mesh }} />,
    );
    return host;
  }

  it("shows another member's pause over the player, in a polite live region, besides the chat line", async () => {
    const f = fakes();
    const host = renderWithHost(f);
    await flush();
    const region = host.querySelector('[aria-live="polite"]');
    expect(region).not.toBeNull();
    expect(region?.textContent).toBe('');
    const at = Date.now() + 1;
    act(() => {
      f.events().onLink?.('r1-u2-b', true);
      f.events().onMessage?.(bobHello([]), 'r1-u2-b');
      f.events().onMessage?.(
        { type: 'cmd', cmd: { id: 'c9', action: 'pause', state: { playing: false, position: 62, at, rate: 1, id: 'c9' }, issued: at, peer: 'r1-u2-b', user: 'u2', name: 'bob' } },
        'r1-u2-b',
      );
    });
    await flush();
    expect(region?.textContent).toBe('bob paused at 1:02.');
    const log = [...document.querySelectorAll('.rt-chat-log .rt-system')].map((e) => e.textContent);
    expect(log.some((t) => t?.endsWith('bob paused at 1:02.'))).toBe(true);
  });

  it('says in the room who it waits for, and for how long at most, as the join answer sets it', async () => {
    const f = fakes();
    const playing = { ...room, buffer_wait_s: 25, playback: { playing: true, position: 12, updated_at: Date.now(), rate: 1 } };
    render(<RoomRealtime room={playing} video={null} me={{ id: 'u1', username: 'ann' }} deps={{ api: f.api, mesh: () => f.mesh as unknown as Mesh }} />);
    await flush();
    act(() => {
      f.events().onLink?.('r1-u2-b', true);
      f.events().onMessage?.(bobHello([]), 'r1-u2-b');
      // bob's film stalls: after the grace the room holds for him
      f.events().onMessage?.({ type: 'buffering', peer: 'r1-u2-b', on: true, at: Date.now() } as WireMessage, 'r1-u2-b');
    });
    await screen.findByText('Waiting for bob to load (at most 25 s, then the room goes on)…', {}, { timeout: 3000 });
  });

  it("waits for a member that cannot load as long as the join answer says, else the engine's 10 s", () => {
    const f = fakes();
    const deps = { api: f.api, mesh: () => f.mesh as unknown as Mesh };
    const me = { id: 'u1', username: 'ann' };
    expect(new RealtimeSession({ ...room, buffer_wait_s: 25 }, me, deps).getSnapshot().waitLimitS).toBe(25);
    expect(new RealtimeSession(room, me, deps).getSnapshot().waitLimitS).toBe(10);
  });

  it('follows the room to its new signalling server when a heartbeat says it moved, and only then', async () => {
    const f = fakes();
    const deps = { api: f.api, mesh: () => f.mesh as unknown as Mesh, heartbeatMs: 60_000 };
    const me = { id: 'u1', username: 'ann' };
    const moved: JoinRoomResponse = { ...room, peer: { ...room.peer, path: '/peerjs/9001', server_index: 1 } };
    f.api.heartbeat = vi.fn(async () => ({ locked: false, host_id: 'u1', members: room.members, peer_server: 0 }));
    f.api.join = vi.fn(async () => moved);
    const session = new RealtimeSession({ ...room, peer: { ...room.peer, server_index: 0 } }, me, deps);
    session.start();
    await flush();
    // the room is where this member signals: nothing to do
    expect(f.api.join).not.toHaveBeenCalled();
    expect(f.mesh.replaceServer).not.toHaveBeenCalled();

    f.api.heartbeat = vi.fn(async () => ({ locked: false, host_id: 'u1', members: room.members, peer_server: 1 }));
    const service = (session as unknown as { service: { heartbeat(): Promise<void> } }).service;
    await act(async () => {
      await service.heartbeat();
    });
    await flush();
    expect(f.api.join).toHaveBeenCalledTimes(1);
    expect(f.mesh.replaceServer).toHaveBeenCalledTimes(1);
    expect(f.mesh.replaceServer.mock.calls[0][0]).toMatchObject({ path: '/peerjs/9001', server_index: 1, peer_id: 'r1-u1-a' });
    session.stop();
  });

  it('says when the film changed by vote', async () => {
    const f = fakes();
    f.api.heartbeat = vi.fn(async () => ({
      locked: false,
      host_id: 'u1',
      members: room.members,
      content_id: 'c2',
      playback: { state: 'playing' as const, position: 0, updated_at: Date.now(), rate: 1 },
    }));
    const host = renderWithHost(f);
    await flush();
    await flush();
    expect(host.querySelector('[aria-live="polite"]')?.textContent).toBe('Film changed by vote.');
  });
});
