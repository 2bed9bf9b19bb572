/**
 * A full mesh of PeerJS data channels between the room's members, over the room's PeerJS server.
 * Reconnects without a page reload: the signalling socket (same id, then a fresh token and id from
 * join-room), and each data link (backoff while the member is still in the room).
 */
import { Peer, type DataConnection, type MediaConnection, type PeerOptions } from 'peerjs';
import type { PeerConfig } from '../../api/types';
import { parseWire, type WireMessage } from '../protocol';
import type { PeerTimeSample } from '../sync/roomClock';

/**
 * Pings (ms after a link opens) besides the periodic ones: three within 200 ms, so that the round trip and the
 * remote's clock are known a few hundred ms after the link opens (a play pressed as someone joins is timed on
 * them); then more while the pages are still busy starting (a page loading its film answers late, and the room
 * clock keeps only the tightest samples), so that a tight one comes within seconds.
 */
const OPENING_PINGS_MS = [0, 100, 200, 400, 700, 1_000, 1_500, 2_500, 3_500, 5_000];

export type MeshStatus = 'connecting' | 'online' | 'reconnecting' | 'offline';

export interface MeshOptions {
  server: PeerConfig;
  iceServers: RTCIceServer[];
  iceTransportPolicy?: RTCIceTransportPolicy;
  /** Fresh server config (token, possibly a new peer id) when the old one no longer works. */
  renew?: () => Promise<PeerConfig>;
  /** Builds the PeerJS peer (tests pass a fake). */
  factory?: (id: string, options: PeerOptions) => Peer;
  pingMs?: number;
  /** A link silent for this long is closed and re-dialled. */
  deadMs?: number;
  /** This member's room time, local clock and clock quality, stamped on pings and pongs (see sync/roomClock.ts). */
  clockStamp?: () => { room: number; local: number; quality: number };
  debug?: 0 | 1 | 2 | 3;
}

export interface MeshEvents {
  onStatus?: (status: MeshStatus, detail?: string) => void;
  /** Our own id (again) after (re)registering with the server. */
  onReady?: (peerId: string, previous: string | null) => void;
  onLink?: (remote: string, up: boolean) => void;
  onMessage?: (message: WireMessage, remote: string) => void;
  onRtt?: (remote: string, rttMs: number) => void;
  /** A pong brought the remote's room time and local clock (local epoch ms at send and return). */
  onPeerTime?: (remote: string, sample: PeerTimeSample) => void;
  /** A remote announced its clock quality (HTTP round trip, ms). */
  onPeerQuality?: (remote: string, quality: number) => void;
  onCall?: (call: MediaConnection) => void;
}

interface Link {
  conn: DataConnection;
  outbound: boolean;
  open: boolean;
  lastSeen: number;
}

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());
/** A `now()` reading as epoch ms (the session's local clock). */
const epoch = (t: number): number => (typeof performance !== 'undefined' ? performance.timeOrigin + t : t);

/**
 * When both members dialled, the link not kept is closed this much later. Closing a data channel drops what it
 * has not delivered, and a message already sent on it (a hello with the chat history, a chat line) may still be
 * on its way: after a loss it comes only with the retransmission, a second or more later on a lossy link.
 */
const SUPERSEDED_GRACE_MS = 10_000;

export class Mesh {
  private opts: MeshOptions;
  private events: MeshEvents = {};
  private peer: Peer | null = null;
  private server: PeerConfig;
  private links = new Map<string, Link>();
  private pending = new Map<string, DataConnection>();
  private superseded = new WeakSet<DataConnection>();
  private wanted = new Map<string, number>();
  private retries = new Map<string, { attempt: number; timer: ReturnType<typeof setTimeout> | null }>();
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private reconnectAttempts = 0;
  private stopped = false;
  private statusValue: MeshStatus = 'offline';
  private renewing = false;
  /** Peer-id prefixes of members the owner removed: never linked, dialled or answered. */
  private refused: string[] = [];

  constructor(options: MeshOptions) {
    this.opts = options;
    this.server = options.server;
  }

  setEvents(events: MeshEvents): void {
    this.events = events;
  }

  get id(): string | null {
    return this.peer?.id ?? this.server.peer_id ?? null;
  }

  /** Which server of the pool this mesh signals through (null when the config does not say). */
  get serverIndex(): number | null {
    return this.server.server_index ?? null;
  }

  get status(): MeshStatus {
    return this.statusValue;
  }

  /** The PeerJS peer (for media calls). */
  get current(): Peer | null {
    return this.peer;
  }

  /** Remote peer ids with an open data link. */
  get linked(): string[] {
    return [...this.links.entries()].filter(([, l]) => l.open).map(([id]) => id);
  }

  private setStatus(s: MeshStatus, detail?: string): void {
    this.statusValue = s;
    this.events.onStatus?.(s, detail);
  }

  start(): void {
    this.stopped = false;
    this.open();
    if (this.pingTimer === null) this.pingTimer = setInterval(() => this.pingAll(), this.opts.pingMs ?? 2000);
  }

  stop(): void {
    this.stopped = true;
    this.broadcast({ type: 'bye' });
    if (this.pingTimer !== null) clearInterval(this.pingTimer);
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    this.retries.forEach((r) => r.timer !== null && clearTimeout(r.timer));
    this.retries.clear();
    this.pingTimer = this.reconnectTimer = null;
    const p = this.peer;
    this.peer = null;
    this.links.clear();
    this.pending.clear();
    try {
      p?.destroy();
    } catch {
      // already gone
    }
    this.setStatus('offline');
  }

  private peerOptions(): PeerOptions {
    const s = this.server;
    const config: RTCConfiguration = { iceServers: this.opts.iceServers };
    if (this.opts.iceTransportPolicy) config.iceTransportPolicy = this.opts.iceTransportPolicy;
    return {
      host: s.host,
      port: s.port,
      path: s.path,
      key: s.key,
      secure: Boolean(s.secure),
      token: s.token,
      config,
      debug: this.opts.debug ?? 1,
    };
  }

  private open(previous: string | null = null): void {
    const id = this.server.peer_id;
    if (!id) {
      this.setStatus('offline', 'no peer id');
      return;
    }
    this.setStatus(previous === null ? 'connecting' : 'reconnecting');
    const factory = this.opts.factory ?? ((pid: string, o: PeerOptions) => new Peer(pid, o));
    const peer = factory(id, this.peerOptions());
    this.peer = peer;
    peer.on('open', (openedId: string) => {
      if (this.peer !== peer) return;
      this.reconnectAttempts = 0;
      this.setStatus('online');
      this.events.onReady?.(openedId, previous);
      this.dialAll();
    });
    peer.on('connection', (conn: DataConnection) => {
      if (this.peer !== peer) return;
      if (this.isRefused(conn.peer)) {
        this.superseded.add(conn);
        conn.close();
        return;
      }
      this.wire(conn, false);
    });
    peer.on('call', (call: MediaConnection) => {
      if (this.peer !== peer) return;
      if (this.isRefused(call.peer)) {
        call.close();
        return;
      }
      this.events.onCall?.(call);
    });
    peer.on('disconnected', () => {
      if (this.peer !== peer || this.stopped) return;
      this.setStatus('reconnecting', 'signalling lost');
      this.scheduleReconnect();
    });
    peer.on('close', () => {
      if (this.peer !== peer || this.stopped) return;
      this.setStatus('reconnecting', 'peer closed');
      this.scheduleReconnect(true);
    });
    peer.on('error', (err: { type?: string; message?: string }) => {
      if (this.peer !== peer || this.stopped) return;
      const type = err?.type ?? '';
      if (type === 'peer-unavailable') {
        // a member that is gone (or not registered yet): forget it until the roster names it again
        const m = /peer\s+(\S+)/i.exec(err.message ?? '');
        const remote = m?.[1];
        if (remote) {
          this.pending.delete(remote);
          this.scheduleRetry(remote);
        }
        return;
      }
      if (type === 'unavailable-id' || type === 'invalid-id' || type === 'invalid-key' || type === 'server-error') {
        this.scheduleReconnect(true);
        return;
      }
      if (type === 'network' || type === 'socket-error' || type === 'socket-closed' || type === 'disconnected') {
        this.setStatus('reconnecting', type);
        this.scheduleReconnect();
      }
    });
  }

  private tokenFresh(): boolean {
    const exp = this.server.token_expires;
    return exp === undefined || exp * 1000 > Date.now() + 30_000;
  }

  /** Signalling lost: first try the same id; after that, or with a stale token, renew and rebuild. */
  private scheduleReconnect(rebuild = false): void {
    if (this.stopped || this.reconnectTimer !== null) return;
    this.reconnectAttempts += 1;
    const delay = Math.min(10_000, 500 * 2 ** Math.min(5, this.reconnectAttempts - 1));
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (this.stopped) return;
      const p = this.peer;
      if (p && !p.destroyed && p.open) return;
      if (!rebuild && p && !p.destroyed && p.disconnected && this.tokenFresh() && this.reconnectAttempts <= 2) {
        try {
          p.reconnect();
        } catch {
          void this.rebuild();
          return;
        }
        // if that does not bring it back, the next round rebuilds
        setTimeout(() => {
          if (this.peer === p && !p.open && !this.stopped) this.scheduleReconnect(true);
        }, 4000);
        return;
      }
      void this.rebuild();
    }, delay);
  }

  /** Register again with a config obtained elsewhere (the page re-joined the room). */
  replaceServer(server: PeerConfig): void {
    if (this.stopped) return;
    const previous = this.peer?.id ?? this.server.peer_id ?? null;
    this.server = server;
    this.reopen(previous);
  }

  /** New token (and id) from the room service, new PeerJS peer, links dialled again. */
  private async rebuild(): Promise<void> {
    if (this.renewing || this.stopped) return;
    this.renewing = true;
    const previous = this.peer?.id ?? this.server.peer_id ?? null;
    try {
      if (this.opts.renew) this.server = await this.opts.renew();
    } catch {
      this.renewing = false;
      this.scheduleReconnect(true);
      return;
    }
    this.renewing = false;
    if (this.stopped) return;
    this.reopen(previous);
  }

  private reopen(previous: string | null): void {
    const old = this.peer;
    this.peer = null;
    for (const [remote, link] of this.links) {
      this.superseded.add(link.conn);
      if (link.open) this.events.onLink?.(remote, false);
    }
    this.links.clear();
    this.pending.clear();
    try {
      old?.destroy();
    } catch {
      // gone already
    }
    this.open(previous);
  }

  /** The members the mesh should link to (from the room service or peers' rosters). */
  setMembers(peerIds: string[]): void {
    const t = now();
    for (const id of peerIds) if (id && id !== this.id && !this.isRefused(id)) this.wanted.set(id, t);
    // forget ids nobody has named for a while and that are not linked
    for (const [id, seen] of this.wanted) {
      if (t - seen > 60_000 && !this.links.get(id)?.open && !peerIds.includes(id)) this.wanted.delete(id);
    }
    this.dialAll();
  }

  /** The room service no longer lists these peers: stop dialling them. */
  forget(peerIds: string[]): void {
    for (const id of peerIds) {
      this.wanted.delete(id);
      const r = this.retries.get(id);
      if (r?.timer) clearTimeout(r.timer);
      this.retries.delete(id);
    }
  }

  /**
   * Members the owner removed (their peer ids start with one of `prefixes`): their links close and none is taken
   * again. Their peer tokens stay valid until they expire, and a data channel needs no server once open, so
   * the room's members are the ones who end it. Returns the peers whose open links it closed.
   */
  refuse(prefixes: string[]): string[] {
    this.refused = prefixes.filter((p) => p.length > 0);
    const cut: string[] = [];
    for (const remote of new Set([...this.links.keys(), ...this.pending.keys(), ...this.wanted.keys()])) {
      if (!this.isRefused(remote)) continue;
      if (this.links.get(remote)?.open) cut.push(remote);
      const dialling = this.pending.get(remote);
      if (dialling) {
        this.pending.delete(remote);
        this.superseded.add(dialling);
        dialling.close();
      }
      this.disconnect(remote);
    }
    return cut;
  }

  private isRefused(remote: string): boolean {
    return this.refused.some((prefix) => remote.startsWith(prefix));
  }

  private dialAll(): void {
    for (const id of this.wanted.keys()) this.dial(id);
  }

  private dial(remote: string): void {
    const p = this.peer;
    if (!p || !p.open || this.stopped || remote === p.id) return;
    if (this.links.get(remote)?.open || this.pending.has(remote)) return;
    const r = this.retries.get(remote);
    if (r?.timer) return;
    let conn: DataConnection;
    try {
      conn = p.connect(remote, { reliable: true, serialization: 'json' });
    } catch {
      this.scheduleRetry(remote);
      return;
    }
    if (!conn) return;
    this.pending.set(remote, conn);
    this.wire(conn, true);
    // a dial that never opens is given up and retried
    setTimeout(() => {
      if (this.pending.get(remote) === conn && !conn.open) {
        this.pending.delete(remote);
        this.superseded.add(conn);
        try {
          conn.close();
        } catch {
          // ignore
        }
        this.scheduleRetry(remote);
      }
    }, 15_000);
  }

  private scheduleRetry(remote: string): void {
    if (this.stopped || !this.wanted.has(remote)) return;
    const r = this.retries.get(remote) ?? { attempt: 0, timer: null };
    if (r.timer) return;
    r.attempt += 1;
    const delay = Math.min(15_000, 700 * 2 ** Math.min(5, r.attempt - 1)) * (0.8 + Math.random() * 0.4);
    r.timer = setTimeout(() => {
      r.timer = null;
      this.dial(remote);
    }, delay);
    this.retries.set(remote, r);
  }

  private wire(conn: DataConnection, outbound: boolean): void {
    const remote = conn.peer;
    const onOpen = (): void => this.adopt(conn, outbound);
    if (conn.open) onOpen();
    else conn.on('open', onOpen);
    conn.on('data', (data: unknown) => {
      const link = this.links.get(remote);
      if (link && link.conn === conn) link.lastSeen = now();
      const msg = parseWire(data);
      if (!msg) return;
      if (msg.type === 'ping') {
        const stamp = this.opts.clockStamp?.();
        this.sendOn(conn, stamp ? { type: 'pong', t: msg.t, r: stamp.room, l: stamp.local, q: stamp.quality } : { type: 'pong', t: msg.t });
        if (typeof msg.q === 'number') this.events.onPeerQuality?.(remote, msg.q);
        return;
      }
      if (msg.type === 'pong') {
        const back = now();
        this.events.onRtt?.(remote, back - msg.t);
        if (typeof msg.q === 'number') this.events.onPeerQuality?.(remote, msg.q);
        if (typeof msg.r === 'number') {
          const local = typeof msg.l === 'number' ? msg.l : undefined;
          this.events.onPeerTime?.(remote, { sent: epoch(msg.t), remote: msg.r, remoteLocal: local, back: epoch(back) });
        }
        return;
      }
      this.events.onMessage?.(msg, remote);
    });
    const onGone = (): void => this.dropped(conn);
    conn.on('close', onGone);
    conn.on('error', onGone);
    conn.on('iceStateChanged', (state: RTCIceConnectionState) => {
      if (state === 'failed' || state === 'closed') onGone();
    });
  }

  private adopt(conn: DataConnection, outbound: boolean): void {
    const remote = conn.peer;
    if (this.pending.get(remote) === conn) this.pending.delete(remote);
    if (this.superseded.has(conn)) return;
    if (this.isRefused(remote)) {
      // taken before the member was removed, open only now
      this.superseded.add(conn);
      conn.close();
      return;
    }
    const existing = this.links.get(remote);
    if (existing && existing.conn !== conn && existing.open) {
      // two links to one member (both dialled): keep the one dialled by the smaller id, on both sides
      const myId = this.peer?.id ?? '';
      const preferOutbound = myId < remote;
      if (outbound !== preferOutbound) {
        this.superseded.add(conn);
        setTimeout(() => conn.close(), SUPERSEDED_GRACE_MS);
        return;
      }
      this.superseded.add(existing.conn);
      const old = existing.conn;
      setTimeout(() => old.close(), SUPERSEDED_GRACE_MS);
      this.links.set(remote, { conn, outbound, open: true, lastSeen: now() });
      return;
    }
    this.links.set(remote, { conn, outbound, open: true, lastSeen: now() });
    this.wanted.set(remote, now());
    for (const ms of OPENING_PINGS_MS) setTimeout(() => this.links.get(remote)?.conn === conn && this.ping(conn), ms);
    const r = this.retries.get(remote);
    if (r?.timer) clearTimeout(r.timer);
    this.retries.delete(remote);
    this.events.onLink?.(remote, true);
  }

  private dropped(conn: DataConnection): void {
    const remote = conn.peer;
    if (this.pending.get(remote) === conn) {
      this.pending.delete(remote);
      this.scheduleRetry(remote);
      return;
    }
    if (this.superseded.has(conn)) return;
    const link = this.links.get(remote);
    if (!link || link.conn !== conn) return;
    this.links.delete(remote);
    this.superseded.add(conn);
    try {
      conn.close();
    } catch {
      // ignore
    }
    this.events.onLink?.(remote, false);
    this.scheduleRetry(remote);
  }

  private ping(conn: DataConnection, t: number = now()): void {
    const stamp = this.opts.clockStamp?.();
    this.sendOn(conn, stamp ? { type: 'ping', t, q: stamp.quality } : { type: 'ping', t });
  }

  private pingAll(): void {
    const t = now();
    const dead = this.opts.deadMs ?? 12_000;
    for (const [, link] of this.links) {
      if (!link.open) continue;
      if (t - link.lastSeen > dead) {
        this.dropped(link.conn);
        continue;
      }
      this.ping(link.conn, t);
    }
    // members still missing: try again (no-op while a dial or a retry is pending)
    if (this.peer?.open) this.dialAll();
  }

  private sendOn(conn: DataConnection, message: WireMessage): boolean {
    try {
      const r = conn.send(message);
      if (r && typeof (r as Promise<void>).catch === 'function') (r as Promise<void>).catch(() => undefined);
      return true;
    } catch {
      return false;
    }
  }

  send(remote: string, message: WireMessage): boolean {
    const link = this.links.get(remote);
    if (!link?.open) return false;
    return this.sendOn(link.conn, message);
  }

  broadcast(message: WireMessage): number {
    let n = 0;
    for (const [, link] of this.links) if (link.open && this.sendOn(link.conn, message)) n += 1;
    return n;
  }

  /** Deliberately close the link to a member (it left). */
  disconnect(remote: string): void {
    this.forget([remote]);
    const link = this.links.get(remote);
    if (!link) return;
    this.superseded.add(link.conn);
    this.links.delete(remote);
    try {
      link.conn.close();
    } catch {
      // ignore
    }
    this.events.onLink?.(remote, false);
  }
}
