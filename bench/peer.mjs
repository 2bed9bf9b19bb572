// Driven by bench/peer.py: opens websocket clients against one PeerJS server (peer/server.js) in rooms of 5,
// step by step, and measures connect time (socket opened until the server's OPEN) and the relay latency of
// OFFER messages between two members of a room. After each step it prints `STEP {json}` and waits for one line
// on stdin (the runner samples the server's memory and CPU meanwhile); at the end it prints `DONE` and closes
// every socket.
// Environment: PEER_URL (ws://127.0.0.1:port/peerjs/peerjs), PEER_SECRET, PEER_STEPS (e.g. "250,500"),
// PEER_SAMPLES (relay messages per step), PEER_INFLIGHT (connects in flight at once), PEER_DEADLINE_MS.
import { createRequire } from "node:module";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const require = createRequire(fileURLToPath(new URL("../peer/package.json", import.meta.url)));
const { WebSocket } = require("ws");
const { signPeerToken } = await import(new URL("../peer/token.js", import.meta.url).href);

const URL_BASE = process.env.PEER_URL;
const SECRET = process.env.PEER_SECRET;
const STEPS = (process.env.PEER_STEPS || "250,500,1000,2000,4000").split(",").map(Number);
const SAMPLES = Number(process.env.PEER_SAMPLES || "200");
const INFLIGHT = Number(process.env.PEER_INFLIGHT || "10");
const DEADLINE_MS = Number(process.env.PEER_DEADLINE_MS || "50000");
const ROOM_SIZE = 5;

const clients = []; // {id, ws, room, waiters: Map<connectionId, resolve>}
const stdinLines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();

function closeAll() {
  for (const c of clients) c.ws.terminate();
}

const watchdog = setTimeout(() => {
  process.stderr.write(`peer bench: deadline of ${DEADLINE_MS} ms passed\n`);
  closeAll();
  process.exit(2);
}, DEADLINE_MS);

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.round((p / 100) * sorted.length) - 1))];
};

function open(index) {
  const room = `bench-room-${Math.floor(index / ROOM_SIZE)}`;
  const id = `${room}-u${index % ROOM_SIZE}-${index}`;
  const exp = Math.floor(Date.now() / 1000) + 600;
  const token = signPeerToken({ room, peer: id, user: `bench-user-${index}`, exp }, SECRET);
  const q = new URLSearchParams({ key: "flmnchll", id, token, version: "1.5.4" });
  const started = performance.now();
  const ws = new WebSocket(`${URL_BASE}?${q}`);
  const client = { id, ws, room, waiters: new Map() };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${id}: no OPEN within 10 s`)), 10000);
    ws.on("message", (data) => {
      const msg = JSON.parse(String(data));
      if (msg.type === "OPEN") {
        clearTimeout(timer);
        clients.push(client);
        resolve(performance.now() - started);
      } else if (msg.type === "OFFER") {
        const done = client.waiters.get(msg.payload?.connectionId);
        if (done) {
          client.waiters.delete(msg.payload.connectionId);
          done(performance.now() - msg.payload.sentAt);
        }
      } else if (msg.type === "ERROR") {
        clearTimeout(timer);
        reject(new Error(`${id}: ${msg.payload?.msg}`));
      }
    });
    ws.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

// Opens clients [from, to) with at most INFLIGHT connects pending; returns their connect times (ms).
async function openRange(from, to) {
  const times = [];
  let next = from;
  const worker = async () => {
    while (next < to) times.push(await open(next++));
  };
  await Promise.all(Array.from({ length: INFLIGHT }, worker));
  return times;
}

// One OFFER at a time from member 0 to member 1 of a random room; latency = send until the other's receipt.
async function relay(count, seq) {
  const rooms = Math.floor(clients.length / ROOM_SIZE);
  const byId = new Map(clients.map((c) => [c.id, c]));
  const times = [];
  for (let i = 0; i < count; i++) {
    const r = Math.floor(Math.random() * rooms);
    const from = byId.get(`bench-room-${r}-u0-${r * ROOM_SIZE}`);
    const to = byId.get(`bench-room-${r}-u1-${r * ROOM_SIZE + 1}`);
    const connectionId = `mc_${seq}_${i}`;
    const got = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`OFFER ${connectionId} not relayed within 5 s`)), 5000);
      to.waiters.set(connectionId, (ms) => {
        clearTimeout(timer);
        resolve(ms);
      });
    });
    const payload = { type: "media", connectionId, sdp: { type: "offer", sdp: "v=0" }, sentAt: performance.now() };
    from.ws.send(JSON.stringify({ type: "OFFER", dst: to.id, payload }));
    times.push(await got);
  }
  return times;
}

try {
  for (const [seq, target] of STEPS.entries()) {
    const started = performance.now();
    const connect = await openRange(clients.length, target);
    const connectSeconds = (performance.now() - started) / 1000;
    const latency = await relay(SAMPLES, seq);
    const step = {
      viewers: clients.length,
      rooms: Math.ceil(clients.length / ROOM_SIZE),
      opened: connect.length,
      connectSeconds,
      connectP50: percentile(connect, 50),
      connectP95: percentile(connect, 95),
      relayN: latency.length,
      relayP50: percentile(latency, 50),
      relayP95: percentile(latency, 95),
      relayMax: Math.max(...latency),
    };
    process.stdout.write(`STEP ${JSON.stringify(step)}\n`);
    const ack = await stdinLines.next();
    if (ack.done) break;
  }
  process.stdout.write("DONE\n");
} catch (err) {
  process.stderr.write(`peer bench: ${err?.stack ?? err}\n`);
  process.exitCode = 1;
} finally {
  clearTimeout(watchdog);
  closeAll();
  process.stdin.destroy();
}
