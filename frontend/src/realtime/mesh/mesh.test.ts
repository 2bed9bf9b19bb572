import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Peer, PeerOptions } from 'peerjs';
import type { PeerConfig } from '../../api/types';
import { Mesh } from './mesh';
import type { WireMessage } from '../protocol';

type Handler = (...args: unknown[]) => void;

class Emitter {
  private handlers = new Map<string, Handler[]>();
  on(event: string, fn: Handler): this {
    this.handlers.set(event, [...(this.handlers.get(event) ?? []), fn]);
    return this;
  }
  emit(event: string, ...args: unknown[]): void {
    for (const fn of this.handlers.get(event) ?? []) fn(...args);
  }
}

/** The signalling server of the fakes: registered peers by id. */
class FakeServer {
  peers = new Map<string, FakePeer>();
  up = true;
  latencyMs = 1;
  dials: [string, string][] = [];
}

class FakeConn extends Emitter {
  peer: string;
  open = false;
  other: FakeConn | null = null;
  closed = false;
  /** How long a message takes to arrive (ms); like a data channel's, it is lost if the link closes first. */
  latencyMs = 1;
  constructor(peer: string) {
    super();
    this.peer = peer;
  }
  send(data: unknown): void {
    const other = this.other;
    if (!this.open || !other) throw new Error('not open');
    const copy = JSON.parse(JSON.stringify(data)) as unknown;
    setTimeout(() => {
      if (!other.closed) other.emit('data', copy);
    }, this.latencyMs);
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.open = false;
    this.emit('close');
    this.other?.close();
  }
}

class FakePeer extends Emitter {
  id: string;
  open = false;
  destroyed = false;
  disconnected = false;
  options: PeerOptions;
  server: FakeServer;
  reconnects = 0;
  constructor(server: FakeServer, id: string, options: PeerOptions) {
    super();
    this.server = server;
    this.id = id;
    this.options = options;
    setTimeout(() => this.register(), 1);
  }
  register(): void {
    if (!this.server.up || this.destroyed) {
      this.emit('error', { type: 'network', message: 'down' });
      this.disconnected = true;
      this.emit('disconnected', this.id);
      return;
    }
    this.server.peers.set(this.id, this);
    this.open = true;
    this.disconnected = false;
    this.emit('open', this.id);
  }
  connect(remote: string): FakeConn {
    const mine = new FakeConn(remote);
    this.server.dials.push([this.id, remote]);
    setTimeout(() => {
      const target = this.server.peers.get(remote);
      if (!target || target.destroyed) {
        this.emit('error', { type: 'peer-unavailable', message: `Could not connect to peer ${remote}` });
        return;
      }
      const theirs = new FakeConn(this.id);
      mine.other = theirs;
      theirs.other = mine;
      mine.latencyMs = theirs.latencyMs = this.server.latencyMs;
      target.emit('connection', theirs);
      setTimeout(() => {
        if (mine.closed || theirs.closed) return; // refused on arrival: it never opens
        mine.open = theirs.open = true;
        theirs.emit('open');
        mine.emit('open');
      }, 2);
    }, 2);
    return mine;
  }
  call(): never {
    throw new Error('no media in tests');
  }
  reconnect(): void {
    this.reconnects += 1;
    setTimeout(() => this.register(), 1);
  }
  dropSignalling(): void {
    this.open = false;
    this.disconnected = true;
    this.server.peers.delete(this.id);
    this.emit('disconnected', this.id);
  }
  destroy(): void {
    this.destroyed = true;
    this.open = false;
    this.server.peers.delete(this.id);
  }
}

function cfg(id: string, extra: Partial<PeerConfig> = {}): PeerConfig {
  return { host: '127.0.0.1', port: 9000, path: '/peerjs', key: 'k', token: `t-${id}`, peer_id: id, ...extra };
}

interface Node {
  mesh: Mesh;
  peers: FakePeer[];
  got: { msg: WireMessage; from: string }[];
  links: string[];
  ready: [string, string | null][];
}

function node(server: FakeServer, id: string, extra: Partial<PeerConfig> = {}, renew?: () => Promise<PeerConfig>): Node {
  const n: Node = { mesh: null as unknown as Mesh, peers: [], got: [], links: [], ready: [] };
  n.mesh = new Mesh({
    server: cfg(id, extra),
    iceServers: [],
    renew,
    pingMs: 1000,
    factory: (pid, options) => {
      const p = new FakePeer(server, pid, options);
      n.peers.push(p);
      return p as unknown as Peer;
    },
  });
  n.mesh.setEvents({
    onMessage: (msg, from) => n.got.push({ msg, from }),
    onLink: (remote, up) => n.links.push(`${up ? '+' : '-'}${remote}`),
    onReady: (pid, prev) => n.ready.push([pid, prev]),
  });
  n.mesh.start();
  return n;
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('Mesh', () => {
  it('links members and delivers validated messages both ways', async () => {
    const server = new FakeServer();
    const a = node(server, 'room-a');
    const b = node(server, 'room-b');
    await vi.advanceTimersByTimeAsync(5);
    a.mesh.setMembers(['room-b']);
    await vi.advanceTimersByTimeAsync(20);
    expect(a.mesh.linked).toEqual(['room-b']);
    expect(b.mesh.linked).toEqual(['room-a']);
    a.mesh.broadcast({ type: 'chat', line: { id: '1', kind: 'user', user_id: 'u', name: 'n', text: 'hi', ts: 1 } });
    b.mesh.send('room-a', { type: 'voice', on: true, muted: false });
    await vi.advanceTimersByTimeAsync(5);
    expect(b.got.map((g) => g.msg.type)).toEqual(['chat']);
    expect(a.got.map((g) => g.msg.type)).toEqual(['voice']);
    expect(a.peers[0].options.token).toBe('t-room-a');
  });

  it('answers pings (round trips reported) and drops malformed data', async () => {
    const server = new FakeServer();
    const a = node(server, 'room-a');
    const b = node(server, 'room-b');
    const rtts: number[] = [];
    a.mesh.setEvents({ onRtt: (_r, ms) => rtts.push(ms), onMessage: (m, f) => a.got.push({ msg: m, from: f }) });
    await vi.advanceTimersByTimeAsync(5);
    b.mesh.setMembers(['room-a']);
    await vi.advanceTimersByTimeAsync(1100);
    expect(rtts.length).toBeGreaterThan(0);
    // garbage from the other side never reaches the app
    const link = (b.mesh as unknown as { links: Map<string, { conn: FakeConn }> }).links.get('room-a')!;
    link.conn.send({ type: 'cmd', cmd: { id: 1 } });
    link.conn.send('not json');
    link.conn.send({ type: 'unknown' });
    await vi.advanceTimersByTimeAsync(5);
    expect(a.got).toEqual([]);
  });

  it('stamps pings with its clock quality and pongs with its room time, for the room clock', async () => {
    const server = new FakeServer();
    const a = node(server, 'room-a');
    const b = node(server, 'room-b');
    const stamp = (room: number, quality: number) => () => ({ room, quality });
    (a.mesh as unknown as { opts: { clockStamp: unknown } }).opts.clockStamp = stamp(1_000, 150);
    (b.mesh as unknown as { opts: { clockStamp: unknown } }).opts.clockStamp = stamp(5_000, 2);
    const times: { remote: string; sample: { sent: number; remote: number; back: number } }[] = [];
    const qualities: [string, number][] = [];
    a.mesh.setEvents({ onPeerTime: (remote, sample) => times.push({ remote, sample }), onPeerQuality: (r, q) => qualities.push([r, q]) });
    await vi.advanceTimersByTimeAsync(5);
    b.mesh.setMembers(['room-a']);
    // a few pings as soon as the link is open, before the first periodic one
    await vi.advanceTimersByTimeAsync(700);
    expect(times.length).toBeGreaterThanOrEqual(3);
    expect(times.every((t) => t.remote === 'room-b' && t.sample.remote === 5_000 && t.sample.back >= t.sample.sent)).toBe(true);
    expect(qualities.some(([r, q]) => r === 'room-b' && q === 2)).toBe(true);
    // and more while the link is young (pages still starting answer late): more chances of a tight sample
    await vi.advanceTimersByTimeAsync(4_400);
    expect(times.length).toBeGreaterThanOrEqual(12); // 8 opening pings and 5 periodic ones, one per second
  });

  it('keeps exactly one link when both sides dial at once', async () => {
    const server = new FakeServer();
    const a = node(server, 'room-a');
    const b = node(server, 'room-b');
    await vi.advanceTimersByTimeAsync(5);
    a.mesh.setMembers(['room-b']);
    b.mesh.setMembers(['room-a']);
    await vi.advanceTimersByTimeAsync(2000);
    const la = (a.mesh as unknown as { links: Map<string, { conn: FakeConn }> }).links.get('room-b')!;
    const lb = (b.mesh as unknown as { links: Map<string, { conn: FakeConn }> }).links.get('room-a')!;
    expect(la.conn.other).toBe(lb.conn);
    expect(la.conn.closed).toBe(false);
    expect(a.links).toEqual(['+room-b']);
    expect(b.links).toEqual(['+room-a']);
  });

  it('a message sent on a link that is then dropped as the second one still arrives, on a slow link', async () => {
    const server = new FakeServer();
    server.latencyMs = 1500; // a lost packet, resent after a retransmission timeout
    const a = node(server, 'room-a');
    const b = node(server, 'room-b');
    // a speaks as soon as its first link to b is up, as a session sends its hello with the chat history
    a.mesh.setEvents({
      onMessage: (msg, from) => a.got.push({ msg, from }),
      onLink: (_remote, up) => {
        if (up) a.mesh.broadcast({ type: 'chat', line: { id: 'h', kind: 'user', user_id: 'u', name: 'n', text: 'hello', ts: 1 } });
      },
    });
    await vi.advanceTimersByTimeAsync(5);
    // b dials first: a's first link is b's, which a drops for its own once that opens
    b.mesh.setMembers(['room-a']);
    a.mesh.setMembers(['room-b']);
    await vi.advanceTimersByTimeAsync(3000);
    expect(b.got.map((g) => g.msg.type)).toEqual(['chat']);
    const la = (a.mesh as unknown as { links: Map<string, { conn: FakeConn; outbound: boolean }> }).links.get('room-b')!;
    expect(la.outbound).toBe(true);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(la.conn.closed).toBe(false);
    expect(b.links).toEqual(['+room-a']);
  });

  it('re-dials a member whose link closed', async () => {
    const server = new FakeServer();
    const a = node(server, 'room-a');
    const b = node(server, 'room-b');
    await vi.advanceTimersByTimeAsync(5);
    a.mesh.setMembers(['room-b']);
    await vi.advanceTimersByTimeAsync(20);
    const la = (a.mesh as unknown as { links: Map<string, { conn: FakeConn }> }).links.get('room-b')!;
    la.conn.close();
    await vi.advanceTimersByTimeAsync(5);
    expect(a.mesh.linked).toEqual([]);
    await vi.advanceTimersByTimeAsync(3000);
    expect(a.mesh.linked).toEqual(['room-b']);
    expect(b.mesh.linked).toEqual(['room-a']);
  });

  it("closes a removed member's link and takes none from it again, dialled either way", async () => {
    const server = new FakeServer();
    const a = node(server, 'room-a');
    const b = node(server, 'room-troll-1');
    const c = node(server, 'room-c');
    await vi.advanceTimersByTimeAsync(5);
    a.mesh.setMembers(['room-troll-1', 'room-c']);
    b.mesh.setMembers(['room-a', 'room-c']);
    await vi.advanceTimersByTimeAsync(20);
    expect(a.mesh.linked.sort()).toEqual(['room-c', 'room-troll-1']);
    expect(a.mesh.refuse(['room-troll-'])).toEqual(['room-troll-1']);
    await vi.advanceTimersByTimeAsync(5);
    expect(a.mesh.linked).toEqual(['room-c']);
    expect(a.links).toContain('-room-troll-1');
    // the removed member keeps dialling, and the roster may still name it for a moment: nothing links
    b.mesh.setMembers(['room-a']);
    a.mesh.setMembers(['room-troll-1', 'room-c']);
    await vi.advanceTimersByTimeAsync(20_000);
    expect(a.mesh.linked).toEqual(['room-c']);
    expect(b.mesh.linked).not.toContain('room-a');
    expect(c.mesh.linked.sort()).toEqual(['room-a', 'room-troll-1']);
  });

  it('retries a member that is not registered yet', async () => {
    const server = new FakeServer();
    const a = node(server, 'room-a');
    await vi.advanceTimersByTimeAsync(5);
    a.mesh.setMembers(['room-late']);
    await vi.advanceTimersByTimeAsync(50);
    expect(a.mesh.linked).toEqual([]);
    node(server, 'room-late');
    await vi.advanceTimersByTimeAsync(5000);
    expect(a.mesh.linked).toEqual(['room-late']);
  });

  it('reconnects to the signalling server with the same id while the token is fresh', async () => {
    const server = new FakeServer();
    const a = node(server, 'room-a', { token_expires: Date.now() / 1000 + 3600 });
    await vi.advanceTimersByTimeAsync(5);
    a.peers[0].dropSignalling();
    expect(a.mesh.status).toBe('reconnecting');
    await vi.advanceTimersByTimeAsync(1000);
    expect(a.peers).toHaveLength(1);
    expect(a.peers[0].reconnects).toBe(1);
    expect(a.mesh.status).toBe('online');
  });

  it('renews the token (and id) when it expired, and links again', async () => {
    const server = new FakeServer();
    let n = 0;
    const renew = async (): Promise<PeerConfig> => {
      n += 1;
      return cfg(`room-a${n}`, { token_expires: Date.now() / 1000 + 3600 });
    };
    const a = node(server, 'room-a', { token_expires: Date.now() / 1000 - 1 }, renew);
    const b = node(server, 'room-b');
    await vi.advanceTimersByTimeAsync(5);
    a.mesh.setMembers(['room-b']);
    await vi.advanceTimersByTimeAsync(20);
    expect(b.mesh.linked).toEqual(['room-a']);
    a.peers[0].dropSignalling();
    await vi.advanceTimersByTimeAsync(1000);
    expect(n).toBe(1);
    expect(a.peers).toHaveLength(2);
    expect(a.peers[0].destroyed).toBe(true);
    expect(a.ready.at(-1)).toEqual(['room-a1', 'room-a']);
    await vi.advanceTimersByTimeAsync(3000);
    expect(a.mesh.linked).toEqual(['room-b']);
    expect(b.mesh.linked).toContain('room-a1');
  });
});
