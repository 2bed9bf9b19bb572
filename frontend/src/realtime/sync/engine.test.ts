import { describe, expect, it } from 'vitest';
import { EDGE_MARGIN_S } from './edge';
import { COLD_START_EXTRA_S } from './latencies';
import { SyncEngine, type EngineOptions } from './engine';
import { FakeMedia, FakeNet, FakeTime, type FakeMediaOptions } from './fakes';
import { positionAt } from './state';
import type { SyncCommand } from './types';

interface Peer {
  name: string;
  engine: SyncEngine;
  media: FakeMedia;
  commands: { cmd: SyncCommand; origin: string }[];
}

/** A room of simulated peers on one fake clock, linked by a fake network with this one-way latency. */
function room(netLatencyMs = 5) {
  const time = new FakeTime();
  const net = new FakeNet(time, netLatencyMs);
  const peers: Peer[] = [];
  const add = (
    name: string,
    media: FakeMediaOptions = {},
    engine: Partial<EngineOptions> = {},
    clockErrorMs = 0,
  ): Peer => {
    const m = new FakeMedia(time, media);
    let e: SyncEngine | null = null;
    const transport = net.join(name, (msg, from) => e?.receive(msg, from));
    e = new SyncEngine({
      clock: time.clock(clockErrorMs),
      timers: time,
      transport,
      self: { peer: name, user: `u-${name}`, name },
      media: null,
      gossipMs: 0,
      ...engine,
    });
    const peer: Peer = { name, engine: e, media: m, commands: [] };
    e.setListeners({ onCommand: (cmd, origin) => peer.commands.push({ cmd, origin }) });
    m.listener = (kind) => e?.handleMediaEvent(kind);
    m.controlListener = (kind) => e?.handleMediaEvent(kind);
    e.setMedia(m);
    e.start();
    peers.push(peer);
    return peer;
  };
  return { time, net, peers, add };
}

/** Runs time forward in small steps, like a browser's event loop. */
function run(time: FakeTime, ms: number): void {
  time.advance(ms);
}

function spread(peers: Peer[]): number {
  const pos = peers.map((p) => p.media.currentTime);
  return Math.max(...pos) - Math.min(...pos);
}

describe('SyncEngine: commands', () => {
  it('a member pausing their video pauses everyone at the same position, with no echo', () => {
    const { time, net, ...r } = room();
    const [a, b, c] = ['A', 'B', 'C'].map((n) => r.add(n));
    expect(a.engine.play()).toBe(true);
    run(time, 3000);
    expect(r.peers.every((p) => !p.media.paused)).toBe(true);
    expect(spread(r.peers)).toBeLessThan(0.002);

    b.media.userPause();
    run(time, 50);
    expect(r.peers.every((p) => p.media.paused)).toBe(true);
    expect(spread(r.peers)).toBeLessThan(0.001);
    run(time, 2000);
    expect(net.commandsFrom('A')).toBe(1);
    expect(net.commandsFrom('B')).toBe(1);
    expect(net.commandsFrom('C')).toBe(0);
    expect(c.commands.at(-1)?.cmd.action).toBe('pause');
    expect(c.commands.at(-1)?.cmd.name).toBe('B');
  });

  it('play with a lead starts every peer, the issuer included, at the same instant', () => {
    const { time, ...r } = room(20);
    // play() takes 30 ms to get the media moving; the engines know it and call it that much early
    const [a, b] = ['A', 'B'].map((n) => r.add(n, { playLatencyMs: 30 }, { playLatencyS: 0.03 }));
    a.engine.play();
    const issued = time.now;
    run(time, 25);
    expect(a.media.playCalls + b.media.playCalls).toBe(0);
    run(time, 10);
    expect(a.media.playCalls).toBe(1);
    expect(b.media.playCalls).toBe(1);
    expect(a.engine.stats().lastCommand?.at).toBeCloseTo(issued + 60, 5);
    run(time, 30);
    expect(a.media.currentTime).toBeCloseTo(0.005, 2);
    run(time, 1000);
    expect(spread(r.peers)).toBeLessThan(0.002);
  });

  it('a seek by script on one video moves everyone; playing peers land in sync', () => {
    const { time, net, ...r } = room(4);
    const [a, b, c] = ['A', 'B', 'C'].map((n) => r.add(n, { seekLatencyMs: 80 }, { seekLatencyS: 0.08 }));
    a.engine.play();
    run(time, 2000);
    c.media.userSeek(600);
    run(time, 1500);
    // everyone restarts from 600 together, the lead after the seek
    const lead = (c.engine.state.at - c.commands.at(-1)!.cmd.issued) / 1000;
    expect(lead).toBeGreaterThanOrEqual(0.2);
    for (const p of [a, b, c]) expect(Math.abs(p.media.currentTime - (600 + 1.5 - lead))).toBeLessThan(0.01);
    run(time, 5000);
    expect(spread(r.peers)).toBeLessThan(0.02);
    expect(net.commandsFrom('A') + net.commandsFrom('B') + net.commandsFrom('C')).toBe(2);
    expect(a.engine.stats().correctiveSeeks + b.engine.stats().correctiveSeeks).toBe(0);
  });

  it('a received seek while playing sets the new position first, before pausing for the synchronised restart', () => {
    const { time, ...r } = room(4);
    const [a, b] = ['A', 'B'].map((n) => r.add(n, { seekLatencyMs: 80 }, { seekLatencyS: 0.08 }));
    a.engine.play();
    run(time, 2000);
    expect(b.media.paused).toBe(false);
    const eventsBefore = b.media.events.length;
    const seeksBefore = b.media.seeks.length;
    a.media.userSeek(300);
    // the command has arrived (the issuer's seeking event, one network delay, the receiver's event):
    // the seek is under way, and it was the first thing done to the media
    run(time, 8);
    expect(b.media.seeks.length).toBe(seeksBefore + 1);
    expect(b.media.seeking).toBe(true);
    expect(b.media.events.slice(eventsBefore)[0]).toBe('seeking');
    // paused as soon as it reported seeking, still at the new position
    expect(b.media.paused).toBe(true);
    expect(b.media.events.slice(eventsBefore)).toContain('pause');
    expect(b.media.currentTime).toBe(b.media.seeks.at(-1));
    // and both still start playing together at the stamped instant, without corrective seeks
    run(time, 3000);
    expect(spread(r.peers)).toBeLessThan(0.02);
    expect(Math.abs(b.media.currentTime - b.engine.expectedPosition())).toBeLessThan(0.02);
    run(time, 5000);
    expect(spread(r.peers)).toBeLessThan(0.02);
    expect(a.engine.stats().correctiveSeeks + b.engine.stats().correctiveSeeks).toBe(0);
    expect(b.media.seeks.length).toBe(seeksBefore + 1);
  });

  it('rate changes by a member become room commands; nudges do not', () => {
    const { time, net, ...r } = room();
    const [a, b] = ['A', 'B'].map((n) => r.add(n, {}, {}, 0));
    a.engine.play();
    run(time, 1000);
    a.media.setRate(1.5);
    run(time, 500);
    expect(b.media.playbackRate).toBeCloseTo(1.5, 2);
    expect(net.commandsFrom('A')).toBe(2);
    expect(net.commandsFrom('B')).toBe(0);
  });

  it('concurrent commands converge on the same state everywhere (newest wins)', () => {
    const { time, ...r } = room(30);
    const [a, b, c] = ['A', 'B', 'C'].map((n) => r.add(n));
    a.engine.play();
    run(time, 2000);
    a.media.userPause();
    time.advance(2);
    b.media.userSeek(100);
    run(time, 2000);
    const states = [a, b, c].map((p) => p.engine.state);
    expect(states[1]).toEqual(states[0]);
    expect(states[2]).toEqual(states[0]);
    expect(spread(r.peers)).toBeLessThan(0.03);
  });

  it('ignores replays and stale commands', () => {
    const { time, net, ...r } = room();
    const [a, b] = ['A', 'B'].map((n) => r.add(n));
    a.engine.play();
    run(time, 1000);
    const old = net.sent.find((s) => s.msg.type === 'cmd');
    a.engine.pause();
    run(time, 1000);
    expect(b.media.paused).toBe(true);
    if (old) b.engine.receive(old.msg, 'A');
    run(time, 1000);
    expect(b.media.paused).toBe(true);
  });
});

describe("SyncEngine: the player's own controls", () => {
  // a busy page: the media's events come 40 ms after the call; the network takes 5 ms
  const busy = { eventDelayMs: 40 };

  it('a pause pressed on the controls reaches the others before its own media event, and is sent once', () => {
    const { time, net, ...r } = room(5);
    const [a, b, c] = ['A', 'B', 'C'].map((n) => r.add(n, busy));
    a.engine.play();
    run(time, 3000);
    b.media.pressPause();
    // before B's own pause event: A and C already have the command
    run(time, 10);
    expect(a.engine.state.playing).toBe(false);
    expect(c.engine.state.playing).toBe(false);
    expect(b.media.events.at(-1)).not.toBe('pause');
    run(time, 2000);
    expect(net.commandsFrom('B')).toBe(1);
    expect(r.peers.every((p) => p.media.paused)).toBe(true);
    expect(spread(r.peers)).toBeLessThan(0.001);
  });

  it('the same pause through the media alone (a page script) reaches them only after its event', () => {
    const { time, ...r } = room(5);
    const [a, b] = ['A', 'B'].map((n) => r.add(n, busy));
    a.engine.play();
    run(time, 3000);
    b.media.userPause();
    run(time, 10);
    expect(a.engine.state.playing).toBe(true);
    run(time, 100);
    expect(a.engine.state.playing).toBe(false);
  });

  it('a seek on the seek bar while playing moves everyone once, in step, with no corrective seek', () => {
    const { time, net, ...r } = room(5);
    const [a, , c] = ['A', 'B', 'C'].map((n) => r.add(n, { ...busy, seekLatencyMs: 80 }, { seekLatencyS: 0.08 }));
    a.engine.play();
    run(time, 2000);
    c.media.pressSeek(600);
    run(time, 10);
    expect(a.engine.state.position).toBe(600);
    run(time, 5000);
    expect(net.commandsFrom('C')).toBe(1);
    expect(spread(r.peers)).toBeLessThan(0.02);
    expect(Math.abs(a.media.currentTime - a.engine.expectedPosition())).toBeLessThan(0.02);
    expect(r.peers.reduce((n, p) => n + p.engine.stats().correctiveSeeks, 0)).toBe(0);
  });

  it('pause then play pressed before either event comes: both are sent, and the room plays', () => {
    const { time, net, ...r } = room(5);
    const [a, b] = ['A', 'B'].map((n) => r.add(n, busy));
    a.engine.play();
    run(time, 3000);
    b.media.pressPause();
    run(time, 5);
    b.media.pressPlay();
    run(time, 3000);
    const sent = net.sent.flatMap((s) => (s.from === 'B' && s.msg.type === 'cmd' ? [s.msg.cmd.action] : []));
    // (a restamp may follow the play: the issuer's media started later or sooner than it allowed for)
    expect(sent.filter((action) => action !== 'restamp')).toEqual(['pause', 'play']);
    expect(r.peers.every((p) => !p.media.paused)).toBe(true);
    expect(spread(r.peers)).toBeLessThan(0.03);
  });

  it("a locked room undoes a non-host's press, as it undoes the media's own pause", () => {
    const { time, net, ...r } = room(5);
    const [a, b] = ['A', 'B'].map((n) => r.add(n, busy, { locked: true, hostUser: 'u-A' }));
    a.engine.play();
    run(time, 2000);
    b.media.pressPause();
    run(time, 1500);
    expect(b.media.paused).toBe(false);
    expect(net.commandsFrom('B')).toBe(0);
    expect(spread(r.peers)).toBeLessThan(0.03);
  });
});

describe('SyncEngine: steady state', () => {
  it('corrects a fast clock with rate nudges, no seeks, drift inside the band', () => {
    const { time, net, ...r } = room();
    const [a, b] = [r.add('A'), r.add('B', { skew: 1.003 })];
    a.engine.play();
    run(time, 60_000);
    const drift = Math.abs(b.media.currentTime - a.media.currentTime);
    expect(drift).toBeLessThan(0.025);
    expect(b.engine.stats().correctiveSeeks).toBe(0);
    expect(b.engine.stats().driftP95Ms).toBeLessThan(25);
    expect(b.media.events.filter((e) => e === 'ratechange').length).toBeGreaterThan(1);
    expect(net.commandsFrom('B')).toBe(0);
  });

  it('a big jump is fixed by one seek and does not loop', () => {
    const { time, net, ...r } = room();
    const [a, b] = [r.add('A'), r.add('B', { seekLatencyMs: 150 }, { seekLatencyS: 0.05 })];
    a.engine.play();
    run(time, 2000);
    b.media.jump(-2);
    run(time, 60_000);
    expect(b.engine.stats().correctiveSeeks).toBe(1);
    expect(Math.abs(b.media.currentTime - a.media.currentTime)).toBeLessThan(0.02);
    expect(net.commandsFrom('B')).toBe(0);
  });

  it('a wrong seek-latency guess still converges without a seek loop', () => {
    const { time, ...r } = room();
    const [a, b] = [r.add('A'), r.add('B', { seekLatencyMs: 700 }, { seekLatencyS: 0 })];
    a.engine.play();
    run(time, 2000);
    b.media.jump(5);
    run(time, 60_000);
    expect(b.engine.stats().correctiveSeeks).toBeLessThanOrEqual(3);
    expect(Math.abs(b.media.currentTime - a.media.currentTime)).toBeLessThan(0.03);
  });
});

describe('SyncEngine: joining late', () => {
  it('computes the position from the authoritative state and plays in sync once it can', () => {
    const { time, net, ...r } = room();
    const a = r.add('A');
    a.engine.play();
    run(time, 30_000);
    const server = { state: 'playing' as const, position: a.media.currentTime - 1, updated_at: time.now - 1000, rate: 1 };
    // its first start is slower than the later ones, as a browser's is: the engine allows for it
    const c = r.add('C', { seekLatencyMs: 400, coldStartMs: COLD_START_EXTRA_S * 1000 }, { seekLatencyS: 0.1 });
    c.engine.adoptServer(server);
    run(time, 200);
    expect(c.media.paused).toBe(true); // waiting for data at the computed position
    for (let i = 0; i < 60 && c.media.paused; i += 1) run(time, 10);
    run(time, 150); // moving by now, before steering has had time to mend anything
    expect(Math.abs(c.media.currentTime - a.media.currentTime)).toBeLessThan(0.03);
    run(time, 2000);
    expect(c.media.paused).toBe(false);
    expect(Math.abs(c.media.currentTime - a.media.currentTime)).toBeLessThan(0.03);
    run(time, 10_000);
    expect(Math.abs(c.media.currentTime - a.media.currentTime)).toBeLessThan(0.02);
    expect(net.commandsFrom('C')).toBe(0);
  });

  it('waits until enough is loaded to play on, instead of starting on a frame and stalling behind', () => {
    const { time, ...r } = room();
    const a = r.add('A');
    a.engine.play();
    run(time, 30_000);
    const c = r.add('C', { seekLatencyMs: 300 }, { seekLatencyS: 0.1 });
    c.media.loadedAhead = 0.2; // the segment at the start position, and little after it, is in
    c.engine.adoptServer({ state: 'playing', position: a.media.currentTime, updated_at: time.now, rate: 1 });
    run(time, 3000);
    expect(c.media.paused).toBe(true); // its planned moments passed: it seeks further ahead each time
    c.media.loadedAhead = null; // the link caught up
    run(time, 4000);
    expect(c.media.paused).toBe(false);
    expect(Math.abs(c.media.currentTime - a.media.currentTime)).toBeLessThan(0.03);
  });

  it("replaces the server's state with a peer's newer one", () => {
    const { time, ...r } = room();
    const a = r.add('A');
    a.engine.play();
    run(time, 5000);
    const c = r.add('C');
    c.engine.adoptServer({ state: 'paused', position: 0, updated_at: time.now - 60_000, rate: 1 });
    run(time, 100);
    const hello = a.engine.helloState();
    expect(hello).not.toBeNull();
    if (hello) c.engine.receiveState(hello, 'A');
    run(time, 3000);
    expect(c.media.paused).toBe(false);
    expect(Math.abs(c.media.currentTime - a.media.currentTime)).toBeLessThan(0.03);
  });
});

describe('SyncEngine: buffering', () => {
  it('a stalled peer makes the room pause together after the grace and resume together', () => {
    const { time, net, ...r } = room();
    const [a, b, c] = ['A', 'B', 'C'].map((n) => r.add(n));
    a.engine.play();
    run(time, 5000);
    b.media.stall(4000);
    run(time, 1500); // 400 ms to report + 800 ms grace
    expect(r.peers.every((p) => p.media.paused)).toBe(true);
    expect(Math.abs(a.media.currentTime - c.media.currentTime)).toBeLessThan(0.001);
    expect(a.engine.stats().waitingFor).toEqual(['B']);
    run(time, 2000);
    expect(a.media.paused).toBe(true);
    run(time, 1200); // stall over at 4000 ms, ready report + 300 ms lead
    expect(r.peers.every((p) => !p.media.paused)).toBe(true);
    run(time, 2000);
    expect(spread(r.peers)).toBeLessThan(0.01);
    expect(a.engine.state.id).toEqual(b.engine.state.id);
    expect(a.commands.map((x) => x.cmd.action)).toEqual(['play', 'hold', 'resume']);
    expect(net.commandsFrom('B')).toBe(0);
  });

  it('a hold only some peers took (the stalled peer was ready before its moment, the news came after) is void', () => {
    const { time, net, ...r } = room();
    const [a, b] = ['A', 'B', 'C'].map((n) => r.add(n));
    a.engine.play();
    run(time, 5000);
    // B stalls long enough to report it, and is ready just before the hold's moment (report + grace) ...
    b.media.stall(1160);
    run(time, 1110);
    // ... but its ready report reaches A and C only after that moment: they hold, B never does
    net.delayMs = 150;
    run(time, 1500);
    net.delayMs = 5;
    run(time, 3000);
    expect(b.commands.map((x) => x.cmd.action)).toEqual(['play']);
    expect(a.commands.map((x) => x.cmd.action)).toEqual(['play', 'hold', 'resume']);
    // everyone back on the timeline B never left, not one a hold and a resume later
    const now = time.now;
    const at = r.peers.map((p) => positionAt(p.engine.state, now));
    expect(Math.max(...at) - Math.min(...at)).toBeLessThan(0.001);
    expect(spread(r.peers)).toBeLessThan(0.02);
  });

  it("a member cannot report a stall or an encoded edge in another member's name: the link says who it is", () => {
    const { time, ...r } = room();
    const [a] = ['A', 'B', 'C'].map((n) => r.add(n));
    a.engine.play();
    run(time, 3000);
    // C's link (its peer id checked by the signalling server) carries reports that name B
    a.engine.receive({ type: 'buffering', peer: 'B', on: true, at: time.now }, 'C');
    a.engine.receive({ type: 'edge', peer: 'B', edge: 40, growing: true }, 'C');
    run(time, 1500);
    expect(a.engine.stats().waitingFor).toEqual(['C']);
    expect(a.engine.playableLimit()).toBeCloseTo(40 - EDGE_MARGIN_S, 5);
    // C leaves: nothing it said holds the room any more, whatever name it used
    a.engine.peerGone('C');
    run(time, 1500);
    expect(a.engine.stats().waitingFor).toEqual([]);
    expect(a.engine.playableLimit()).toBe(Number.POSITIVE_INFINITY);
    expect(a.media.paused).toBe(false);
  });

  it('a short hiccup does not stop the room', () => {
    const { time, ...r } = room();
    const [a, b] = ['A', 'B'].map((n) => r.add(n));
    a.engine.play();
    run(time, 3000);
    b.media.stall(300);
    run(time, 3000);
    expect(a.commands.map((x) => x.cmd.action)).toEqual(['play']);
    expect(a.media.paused).toBe(false);
  });

  it('drops a stuck peer after the timeout and the rest play on', () => {
    const { time, ...r } = room();
    const dropped: string[][] = [];
    const [a, b] = ['A', 'B'].map((n) => r.add(n, {}, { buffering: { dropAfterMs: 5000 } }));
    a.engine.setListeners({ onDropped: (p) => dropped.push(p) });
    a.engine.play();
    run(time, 3000);
    b.media.stall(60_000);
    run(time, 2000);
    expect(a.media.paused).toBe(true);
    run(time, 5000);
    expect(a.media.paused).toBe(false);
    expect(dropped).toEqual([['B']]);
    run(time, 5000);
    expect(a.media.paused).toBe(false); // B does not hold the room again
  });
});

describe('SyncEngine: a film still being encoded', () => {
  it('a seek past what is encoded is clamped to the lowest edge in the room, for everyone, and says so', () => {
    const { time, ...r } = room();
    const [a, b, c] = ['A', 'B', 'C'].map((n) => r.add(n));
    a.media.edge = { edge: 30, growing: true };
    b.media.edge = { edge: 24, growing: true }; // a lower rung, encoded by another job, is behind
    c.media.edge = { edge: 30, growing: true };
    run(time, 500);
    // by script: the browser itself stops it at its own edge
    a.media.userSeek(600);
    run(time, 1000);
    for (const p of r.peers) expect(p.media.currentTime).toBeCloseTo(24 - EDGE_MARGIN_S, 3);
    expect(a.commands.at(-1)?.cmd).toMatchObject({ action: 'seek', edge: true });
    expect(c.commands.at(-1)?.cmd).toMatchObject({ action: 'seek', edge: true, name: 'A' });
    // through the API too, and a seek within what is encoded is left alone
    c.engine.seek(100);
    run(time, 1000);
    for (const p of r.peers) expect(p.media.currentTime).toBeCloseTo(24 - EDGE_MARGIN_S, 3);
    b.media.userSeek(12);
    run(time, 1000);
    for (const p of r.peers) expect(p.media.currentTime).toBeCloseTo(12, 3);
    expect(a.commands.at(-1)?.cmd.edge).toBeUndefined();
  });

  it('a playing room waits where the lowest rung ends, never running past it, and goes on when more is encoded', () => {
    const { time, ...r } = room();
    const [a, b] = ['A', 'B'].map((n) => r.add(n, { duration: 60 }));
    a.media.edge = { edge: 8, growing: true };
    b.media.edge = { edge: 6, growing: true };
    a.engine.play();
    const limit = 6 - EDGE_MARGIN_S;
    run(time, 10_000);
    for (const p of r.peers) {
      expect(p.media.paused).toBe(true);
      expect(p.media.currentTime).toBeCloseTo(limit, 3);
      expect(p.engine.state).toMatchObject({ playing: false });
      expect(p.engine.state.position).toBeCloseTo(limit, 6);
      expect(p.engine.stats().waitingForEncoder).toBe(true);
    }
    // the timeline stopped exactly when it got there: it never ran past what is encoded
    const [play, hold] = a.commands.map((x) => x.cmd);
    expect(hold).toMatchObject({ action: 'hold', edge: true });
    expect(hold.state.at).toBeCloseTo(play.state.at + ((limit - play.state.position) / play.state.rate) * 1000, 0);
    // the encoder goes on: once two seconds more are there, everyone plays on, together
    a.media.edge = { edge: 14, growing: true };
    b.media.edge = { edge: 12, growing: true };
    run(time, 2000);
    expect(r.peers.every((p) => !p.media.paused)).toBe(true);
    expect(a.media.currentTime).toBeGreaterThan(limit);
    expect(spread(r.peers)).toBeLessThan(0.01);
    expect(a.commands.at(-1)?.cmd.action).toBe('resume');
    // once the playlists end, the film plays through
    a.media.edge = { edge: 60, growing: false };
    b.media.edge = { edge: 60, growing: false };
    run(time, 15_000);
    expect(r.peers.every((p) => !p.media.paused)).toBe(true);
    expect(a.media.currentTime).toBeGreaterThan(15);
    expect(spread(r.peers)).toBeLessThan(0.01);
  });

  it('waits for the encoder beyond the bound on waiting for a member', () => {
    const { time, ...r } = room();
    const dropped: string[][] = [];
    const [a, b] = ['A', 'B'].map((n) => r.add(n, {}, { buffering: { dropAfterMs: 2000 } }));
    a.engine.setListeners({ onDropped: (p) => dropped.push(p) });
    for (const p of [a, b]) p.media.edge = { edge: 5, growing: true };
    a.engine.play();
    run(time, 20_000);
    expect(r.peers.every((p) => p.media.paused && p.media.currentTime <= 5 - EDGE_MARGIN_S + 1e-6)).toBe(true);
    expect(dropped).toEqual([]);
    expect(b.engine.stats().holding).toBe(true);
  });
});

describe('SyncEngine: control lock', () => {
  it("a non-host's own pause is undone and not sent while locked; the host's goes through", () => {
    const { time, net, ...r } = room();
    const [a, b] = ['A', 'B'].map((n) => r.add(n, {}, { locked: true, hostUser: 'u-A' }));
    const rejected: string[] = [];
    b.engine.setListeners({ onRejected: (_r, action) => rejected.push(action) });
    expect(b.engine.play()).toBe(false);
    a.engine.play();
    run(time, 2000);
    b.media.userPause();
    run(time, 1500);
    expect(b.media.paused).toBe(false);
    expect(a.media.paused).toBe(false);
    expect(net.commandsFrom('B')).toBe(0);
    expect(rejected).toEqual(['play', 'pause']);
    expect(spread(r.peers)).toBeLessThan(0.03);
    // a forged command from B is ignored by A
    b.engine.setLock(false, 'u-A');
    b.engine.pause();
    run(time, 500);
    expect(a.media.paused).toBe(false);
  });
});

describe('SyncEngine: figures', () => {
  it('reports propagation, lead and drift', () => {
    const { time, ...r } = room(7);
    const [a, b] = ['A', 'B'].map((n) => r.add(n, {}, { playLatencyS: 0 }));
    for (let i = 0; i < 20; i += 1) b.engine.notePeerRtt(40);
    expect(b.engine.leadMs()).toBe(60);
    for (let i = 0; i < 20; i += 1) b.engine.notePeerRtt(100);
    expect(b.engine.leadMs()).toBe(100);
    a.media.userPlay();
    run(time, 3000);
    const s = b.engine.stats();
    expect(s.lastCommand?.delayMs).toBeCloseTo(7, 0);
    expect(s.propagationP95Ms).toBeCloseTo(7, 0);
    expect(s.driftP95Ms).toBeLessThan(10);
  });
});

/** The joiner started from the one load planned: no seek after it, in step with `a`, no command to the room. */
function expectStartedFromOneLoad(joiner: Peer, a: Peer, net: FakeNet, seeksBefore: number): void {
  expect(joiner.media.seeks.slice(seeksBefore)).toEqual([]);
  expect(joiner.media.paused).toBe(false);
  expect(Math.abs(joiner.media.currentTime - a.media.currentTime)).toBeLessThan(0.02);
  expect(net.commandsFrom(joiner.name)).toBe(0);
}

/**
 * A room A has been playing in for 5 s; `join(name)` brings in a member told the room function's playback, whose
 * browser takes 900 ms for its first load (playlist, init and segment over a slow link) and 110 ms to start.
 */
function playingRoom() {
  const { time, net, ...r } = room();
  const a = r.add('A');
  a.engine.play();
  run(time, 5000);
  const join = (name: string): Peer => {
    const peer = r.add(name, { seekLatencyMs: 900, playLatencyMs: 30, coldStartMs: COLD_START_EXTRA_S * 1000 });
    peer.engine.setContent('film-1', { state: 'playing', position: a.media.currentTime, updated_at: time.now, rate: 1 });
    return peer;
  };
  return { time, net, a, join };
}

describe('SyncEngine: more cases', () => {
  it("a member's own play waiting for its moment stays theirs when a peer's command waits behind it", () => {
    const { time, ...r } = room();
    const [a, b] = ['A', 'B'].map((n) => r.add(n));
    a.engine.play();
    run(time, 10);
    b.engine.play();
    run(time, 2000);
    // the session reports a member's own commands to the room service (its record for late joiners) and
    // only those: A's play, run by the timer armed for B's, is still A's own
    const origins = (p: Peer, from: string) => p.commands.filter((c) => c.cmd.peer === from).map((c) => `${c.cmd.action}:${c.origin}`);
    expect(origins(a, 'A')).toEqual(['play:local']);
    expect(origins(a, 'B')).toEqual(['play:remote']);
    expect(origins(b, 'A')).toEqual(['play:remote']);
    expect(origins(b, 'B')).toEqual(['play:local']);
  });

  it('ignores timelines about another film, and starts over on a content change', () => {
    const { time, ...r } = room();
    const [a, b] = ['A', 'B'].map((n) => r.add(n));
    a.engine.content = 'film-1';
    b.engine.content = 'film-2';
    a.engine.play();
    run(time, 2000);
    expect(b.media.paused).toBe(true);
    b.engine.setContent('film-1', { state: 'playing', position: 1.9, updated_at: time.now, rate: 1 });
    run(time, 1500);
    expect(b.media.paused).toBe(false);
    expect(Math.abs(b.media.currentTime - a.media.currentTime)).toBeLessThan(0.05);
  });

  it('a late joiner in a paused room lands on the paused position and stays paused', () => {
    const { time, net, ...r } = room();
    const c = r.add('C', { seekLatencyMs: 200 });
    c.engine.adoptServer({ state: 'paused', position: 321.5, updated_at: time.now - 60_000, rate: 1 });
    run(time, 1000);
    expect(c.media.paused).toBe(true);
    expect(c.media.currentTime).toBeCloseTo(321.5, 3);
    expect(net.commandsFrom('C')).toBe(0);
  });

  it('a peer slower to load than planned re-plans further ahead and still starts on the timeline', () => {
    const { time, ...r } = room();
    const a = r.add('A', { seekLatencyMs: 50 }, { seekLatencyS: 0.05 });
    const slow = r.add('S', { seekLatencyMs: 900 }, { seekLatencyS: 0.05 });
    a.engine.play();
    run(time, 2000);
    a.media.userSeek(300);
    run(time, 4000);
    expect(slow.media.paused).toBe(false);
    expect(Math.abs(slow.media.currentTime - a.media.currentTime)).toBeLessThan(0.02);
  });

  it("a joiner's player loads where the room will be once it is ready, and the joiner starts there in step", () => {
    const { time, net, ...r } = room();
    const a = r.add('A');
    a.engine.play();
    run(time, 5000);
    // the joiner's first load takes 900 ms (playlist, init and segment over a slow link)
    const b = r.add('B', { seekLatencyMs: 900 });
    b.engine.setContent('film-1', { state: 'playing', position: a.media.currentTime, updated_at: time.now, rate: 1 });
    const planned = b.engine.planStart(0.9);
    expect(planned).not.toBeNull();
    expect(planned!).toBeCloseTo(a.media.currentTime + 0.9, 1);
    // the media is on its way there (it is where the player's first load goes)
    expect(b.media.seeks.at(-1)).toBeCloseTo(planned!, 3);
    const seeksBefore = b.media.seeks.length;
    run(time, 1200);
    expectStartedFromOneLoad(b, a, net, seeksBefore);
  });

  it("a joiner's start in the last moments of a segment moves to the next segment: one load, then in step", () => {
    const { time, net, a, join } = playingRoom();
    const b = join('B');
    // whatever the position, its segment ends 0.3 s after it: too little to start on
    const planned = b.engine.planStart(0.9, (p) => [p - 1.7, p + 0.3])!;
    expect(planned).toBeCloseTo(a.media.currentTime + 0.9 + 0.35, 1);
    expect(b.media.seeks.at(-1)).toBeCloseTo(planned, 3);
    const seeksBefore = b.media.seeks.length;
    run(time, 1500);
    expectStartedFromOneLoad(b, a, net, seeksBefore);
  });

  it("a joiner's start well inside its segment stays where the room will be", () => {
    const { a, join } = playingRoom();
    expect(join('B').engine.planStart(0.9, (p) => [p - 0.5, p + 1.5])).toBeCloseTo(a.media.currentTime + 0.9, 1);
  });

  it("a joiner's start in a segment too short to start on alone stays where the room will be", () => {
    const { a, join } = playingRoom();
    // half-second segments (a film's opening ones): a start anywhere in one needs the next one as well
    expect(join('B').engine.planStart(0.9, (p) => [p - 0.2, p + 0.3])).toBeCloseTo(a.media.currentTime + 0.9, 1);
  });

  it("a peer's state confirming the room function's timeline does not restart a joiner's start; a changed one does", () => {
    const { time, a, join } = playingRoom();
    const b = join('B');
    b.engine.planStart(1.2);
    const bSeeks = b.media.seeks.length;
    run(time, 300);
    b.engine.receiveState(a.engine.helloState()!, 'A');
    run(time, 1200);
    expect(b.media.seeks.slice(bSeeks)).toEqual([]);
    expect(Math.abs(b.media.currentTime - a.media.currentTime)).toBeLessThan(0.02);

    const c = join('C');
    c.engine.planStart(1.2);
    const cSeeks = c.media.seeks.length;
    run(time, 300);
    a.media.userSeek(a.media.currentTime + 30);
    run(time, 20);
    c.engine.receiveState(a.engine.helloState()!, 'A');
    expect(c.media.seeks.length).toBeGreaterThan(cSeeks);
    run(time, 4000);
    expect(Math.abs(c.media.currentTime - a.media.currentTime)).toBeLessThan(0.02);
  });

  it("a joiner's player in a paused room loads the paused position; before the room is known it is told nothing", () => {
    const { time, ...r } = room();
    const c = r.add('C');
    expect(c.engine.planStart(1)).toBeNull();
    c.engine.setContent('film-1', { state: 'paused', position: 321.5, updated_at: time.now - 60_000, rate: 1 });
    expect(c.engine.planStart(1)).toBeCloseTo(321.5, 3);
  });

  it('reports a refused autoplay once and keeps the timeline', async () => {
    const { time, net, ...r } = room();
    const a = r.add('A');
    const b = r.add('B');
    let blocked = 0;
    b.engine.setListeners({ onAutoplayBlocked: () => (blocked += 1) });
    b.media.rejectPlay = true;
    a.engine.play();
    run(time, 200);
    await Promise.resolve();
    await Promise.resolve();
    expect(blocked).toBe(1);
    expect(b.engine.state.playing).toBe(true);
    b.media.rejectPlay = false;
    run(time, 3000);
    expect(b.media.paused).toBe(false);
    expect(net.commandsFrom('B')).toBe(0);
  });

  it('a member seeking during a hold keeps the room waiting, then resumes from the new position', () => {
    const { time, ...r } = room();
    const [a, b] = ['A', 'B'].map((n) => r.add(n));
    a.engine.play();
    run(time, 3000);
    b.media.stall(3000);
    run(time, 1400);
    expect(a.media.paused).toBe(true);
    a.media.userSeek(50);
    run(time, 4000);
    expect(a.media.paused).toBe(false);
    expect(Math.abs(a.media.currentTime - b.media.currentTime)).toBeLessThan(0.02);
    expect(a.media.currentTime).toBeGreaterThan(50);
    expect(a.media.currentTime).toBeLessThan(54);
  });

  /** Two peers that played together and are paused now; B's seeks so far. */
  function pausedPair(seekLatencyMs: number) {
    const { time, net, ...r } = room();
    const [a, b] = ['A', 'B'].map((n) => r.add(n, { playLatencyMs: 30, seekLatencyMs }, { playLatencyS: 0.03 }));
    a.engine.play();
    run(time, 2000);
    a.media.userPause();
    run(time, 2000);
    return { time, net, r, a, b, seeksBefore: b.media.seeks.length };
  }

  it('a play arriving a little late starts a paused peer at once, without a seek, and catches up', () => {
    const { time, net, r, a, b, seeksBefore } = pausedPair(100);
    // the play reaches B 80 ms after it was issued (50 ms after its moment)
    net.delayMs = 80;
    a.media.userPlay();
    run(time, 79);
    expect(b.media.playCalls).toBe(1);
    run(time, 3);
    expect(b.media.playCalls).toBe(2);
    expect(b.media.paused).toBe(false);
    expect(b.media.seeks.length).toBe(seeksBefore);
    run(time, 8000);
    expect(spread(r.peers)).toBeLessThan(0.015);
    expect(b.media.seeks.length).toBe(seeksBefore);
    expect(b.engine.stats().correctiveSeeks).toBe(0);
    // the lateness of the command is not taken for the media's start-up latency
    expect(b.engine.stats().playLatencyMs).toBeLessThan(45);
  });

  it('a play arriving well after its moment restarts a paused peer in step instead of steering it for seconds', () => {
    const { time, net, r, a, b, seeksBefore } = pausedPair(60);
    // the play reaches B 150 ms after it was issued (120 ms after its moment): playing at once would leave it
    // 120 ms behind, and the rate steering (at most 5 %) would take seconds to close that
    net.delayMs = 150;
    a.media.userPlay();
    run(time, 160);
    expect(b.media.seeks.length).toBe(seeksBefore + 1);
    run(time, 600);
    expect(b.media.paused).toBe(false);
    expect(spread(r.peers)).toBeLessThan(0.015);
    run(time, 4000);
    expect(b.engine.stats().correctiveSeeks).toBe(0);
  });

  /** Three members in a room that played and paused (their latencies known), with a tick of 5 ms. */
  function pausedTrio() {
    const { time, net, ...r } = room(5);
    const [a, b, c] = ['A', 'B', 'C'].map((n) => r.add(n, { playLatencyMs: 30, seekLatencyMs: 60 }, { playLatencyS: 0.03 }));
    a.engine.play();
    run(time, 2000);
    a.media.userPause();
    run(time, 2000);
    return { time, net, r, a, b, c };
  }

  it("on a slow network a member's play is scheduled ahead by the farthest peer's delay: all start together", () => {
    const { time, net, r, a, b, c } = pausedTrio();
    net.delayMs = 120;
    for (const p of r.peers) for (const q of r.peers) if (p !== q) for (let i = 0; i < 5; i += 1) p.engine.notePeerRtt(240, q.name);
    const seeksBefore = r.peers.map((p) => p.media.seeks.length);
    const from = a.media.currentTime;
    const heardBefore = b.commands.length;
    a.media.userPlay();
    run(time, 100);
    // the issuer's media waits for the others instead of running ahead of them
    expect(a.media.paused).toBe(true);
    expect(a.media.currentTime).toBeCloseTo(from, 2);
    run(time, 150);
    for (const p of [a, b, c]) expect(p.media.paused).toBe(false);
    expect(spread(r.peers)).toBeLessThan(0.012);
    run(time, 2000);
    expect(spread(r.peers)).toBeLessThan(0.012);
    // only the issuer seeks, once: back onto where it pressed play (its pipeline ran on a little)
    expect(r.peers.map((p) => p.media.seeks.length)).toEqual([seeksBefore[0] + 1, seeksBefore[1], seeksBefore[2]]);
    expect(r.peers.every((p) => p.engine.stats().correctiveSeeks === 0)).toBe(true);
    // the others joined this room's play: nothing was undone or sent twice
    expect(b.commands.slice(heardBefore).map((x) => x.cmd.action)).toEqual(['play']);
    expect(a.engine.state.playing).toBe(true);
  });

  it('on a close network a member plays at once where they pressed play', () => {
    const { time, ...r } = room(5);
    const [a] = ['A', 'B'].map((n) => r.add(n, { playLatencyMs: 30, seekLatencyMs: 60 }, { playLatencyS: 0.03 }));
    for (let i = 0; i < 5; i += 1) a.engine.notePeerRtt(20, 'B');
    expect(a.engine.memberPlayLeadMs()).toBe(0);
    a.media.userPlay();
    run(time, 60);
    expect(a.media.paused).toBe(false);
  });

  it('a play pressed as a slow peer links, before its delay is measured, is scheduled ahead: all start together', () => {
    const { time, net, r, a, b, c } = pausedTrio();
    // B and C are close and measured; a member behind a slow link has just linked to A, unmeasured yet
    for (const q of ['B', 'C']) for (let i = 0; i < 5; i += 1) a.engine.notePeerRtt(10, q);
    expect(a.engine.memberPlayLeadMs()).toBe(0);
    a.engine.peerLinked('D');
    expect(a.engine.memberPlayLeadMs()).toBeGreaterThanOrEqual(100);
    net.delayMs = 90;
    a.media.userPlay();
    run(time, 80);
    expect(a.media.paused).toBe(true);
    run(time, 200);
    for (const p of [a, b, c]) expect(p.media.paused).toBe(false);
    expect(spread(r.peers)).toBeLessThan(0.012);
    expect(r.peers.every((p) => p.engine.stats().correctiveSeeks === 0)).toBe(true);
    // once measured, the peer counts for what it is
    for (let i = 0; i < 5; i += 1) a.engine.notePeerRtt(20, 'D');
    expect(a.engine.memberPlayLeadMs()).toBe(0);
  });

  it('after a pause every media stands exactly where the room paused, so the next play starts in step', () => {
    const { time, ...r } = room();
    const [a, b, c] = ['A', 'B', 'C'].map((n) =>
      r.add(n, { playLatencyMs: 20, seekLatencyMs: 60, pauseOvershootMs: 80 }, { playLatencyS: 0.02, seekLatencyS: 0.06 }),
    );
    a.engine.play();
    run(time, 3000);
    b.media.userPause();
    run(time, 2000);
    const paused = b.engine.state.position;
    for (const p of [a, b, c]) expect(Math.abs(p.media.currentTime - paused)).toBeLessThan(0.002);
    c.media.userPlay();
    run(time, 400);
    // nobody resumes from where its media really stopped (80 ms further on)
    expect(spread(r.peers)).toBeLessThan(0.012);
    for (const p of r.peers) expect(Math.abs(p.media.currentTime - p.engine.expectedPosition())).toBeLessThan(0.012);
    expect(r.peers.every((p) => p.engine.stats().correctiveSeeks === 0)).toBe(true);
  });

  it('a play whose media starts later than stamped is restamped, and the room steers onto it without seeks', () => {
    const { time, ...r } = room();
    // the first start after loading takes 150 ms; the engines expect 30 ms
    const [a, b, c] = ['A', 'B', 'C'].map((n) => r.add(n, { playLatencyMs: 150, seekLatencyMs: 60 }, { playLatencyS: 0.03 }));
    const seeksBefore = r.peers.map((p) => p.media.seeks.length);
    a.media.userPlay();
    run(time, 700);
    const restamps = a.commands.filter((x) => x.cmd.action === 'restamp');
    expect(restamps.length).toBe(1);
    expect(b.commands.at(-1)?.cmd.action).toBe('restamp');
    for (const p of [a, b, c]) expect(Math.abs(p.media.currentTime - p.engine.expectedPosition())).toBeLessThan(0.02);
    expect(r.peers.map((p) => p.media.seeks.length)).toEqual(seeksBefore);
    run(time, 3000);
    expect(spread(r.peers)).toBeLessThan(0.015);
    // that slow first start is not taken for how fast the media starts from now on
    for (const p of r.peers) expect(p.engine.stats().playLatencyMs).toBeCloseTo(30, 0);
    for (const p of r.peers) p.media.playLatencyMs = 30;
    b.media.userPause();
    run(time, 2000);
    c.media.userPlay();
    run(time, 3000);
    expect(a.commands.filter((x) => x.cmd.action === 'restamp').length).toBe(1);
    expect(spread(r.peers)).toBeLessThan(0.015);
  });

  it('a play that starts as stamped is not restamped', () => {
    const { time, ...r } = room();
    const [a, b] = ['A', 'B'].map((n) => r.add(n, { playLatencyMs: 30, seekLatencyMs: 60 }, { playLatencyS: 0.03 }));
    a.media.userPlay();
    run(time, 2000);
    expect([...a.commands, ...b.commands].some((x) => x.cmd.action === 'restamp')).toBe(false);
  });

  it('a paused peer standing a little ahead of a play waits in place instead of seeking', () => {
    const { time, ...r } = room();
    const [a, b] = ['A', 'B'].map((n) => r.add(n, { seekLatencyMs: 100 }, { seekLatencyS: 0.1 }));
    a.engine.play();
    run(time, 2000);
    a.engine.pause();
    run(time, 2000);
    b.media.jump(0.3);
    const seeksBefore = b.media.seeks.length;
    a.engine.play();
    const at = a.engine.stats().lastCommand!.at;
    run(time, at - time.now + 250);
    expect(b.media.paused).toBe(true);
    run(time, 60);
    expect(b.media.paused).toBe(false);
    expect(b.media.seeks.length).toBe(seeksBefore);
    run(time, 1000);
    expect(spread(r.peers)).toBeLessThan(0.005);
  });

  it('a paused peer far from the timeline still seeks and restarts', () => {
    const { time, ...r } = room();
    const [a, b] = ['A', 'B'].map((n) => r.add(n, { seekLatencyMs: 50 }, { seekLatencyS: 0.05 }));
    a.engine.play();
    run(time, 2000);
    a.engine.pause();
    run(time, 2000);
    b.media.jump(-2);
    const seeksBefore = b.media.seeks.length;
    a.engine.play();
    run(time, 2000);
    expect(b.media.seeks.length).toBe(seeksBefore + 1);
    expect(spread(r.peers)).toBeLessThan(0.005);
  });

  it('a peer whose media is slow to start calls play early by that much, without a seek', () => {
    const { time, ...r } = room();
    const a = r.add('A', { playLatencyMs: 30, seekLatencyMs: 100 }, { playLatencyS: 0.03, leadFloorMs: 300 });
    const slow = r.add('S', { playLatencyMs: 120, seekLatencyMs: 100 }, { playLatencyS: 0.12 });
    a.engine.play();
    run(time, 2000);
    a.engine.pause();
    run(time, 2000);
    // it knows how slow it is (the first start after loading, slow or not, is not learnt from)
    expect(slow.engine.stats().playLatencyMs).toBeGreaterThan(110);
    expect(slow.engine.stats().playLatencyMs).toBeLessThan(130);
    const seeksBefore = slow.media.seeks.length;
    a.engine.play();
    const at = a.engine.stats().lastCommand!.at;
    run(time, at - time.now - 115);
    expect(slow.media.paused).toBe(false);
    expect(slow.media.seeks.length).toBe(seeksBefore);
    run(time, 1000);
    expect(spread(r.peers)).toBeLessThan(0.005);
  });
});

