// Starts server.js as a separate process (as supervisord does) and speaks the PeerJS signalling
// protocol with plain websockets: OPEN on connect, OFFER/ANSWER relayed between ids, ERROR + close
// when refused.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { WebSocket } from "ws";
import { signPeerToken } from "../token.js";

const SERVER = new URL("../server.js", import.meta.url).pathname;
const SECRET = "s3cret-for-peer-tests";

function makeSecrets(secret = SECRET) {
  const dir = mkdtempSync(path.join(tmpdir(), "peer-secrets-"));
  writeFileSync(path.join(dir, "peer-token-key"), `${secret}\n`, { mode: 0o600 });
  return dir;
}

// Spawns a server on a port the kernel picks and resolves once it logs "listening".
function startServer({ args = ["--port", "0"], env = {} } = {}) {
  const secretsDir = makeSecrets();
  const child = spawn(process.execPath, [SERVER, ...args], {
    env: { PATH: process.env.PATH, SECRETS_DIR: secretsDir, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines = [];
  let buf = "";
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${lines.join("\n")}`)), 5000);
    child.stdout.on("data", (chunk) => {
      buf += chunk;
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        lines.push(line);
        const rec = JSON.parse(line);
        if (rec.event === "listening") {
          clearTimeout(timer);
          resolve(rec.port);
        }
      }
    });
    child.stderr.on("data", (chunk) => lines.push(String(chunk)));
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited ${code}: ${lines.join("\n")}`));
    });
  });
  const exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  return {
    child,
    secretsDir,
    lines,
    ready,
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
      rmSync(secretsDir, { recursive: true, force: true });
    },
  };
}

const exp = (s = 60) => Math.floor(Date.now() / 1000) + s;
const tokenFor = (room, peer, { user = `user-of-${peer}`, expires = exp(), secret = SECRET } = {}) =>
  signPeerToken({ room, peer, user, exp: expires }, secret);

// A minimal signalling client: records every message, resolves `first` with the first one.
function connect(port, { id, token, key = "flmnchll", base = "/peerjs" }) {
  const q = new URLSearchParams({ key, id, ...(token === undefined ? {} : { token }), version: "1.5.4" });
  const ws = new WebSocket(`ws://127.0.0.1:${port}${base}/peerjs?${q}`);
  const messages = [];
  const waiters = [];
  ws.on("message", (data) => {
    const msg = JSON.parse(String(data));
    messages.push(msg);
    for (const w of waiters.splice(0)) w();
  });
  const closed = new Promise((resolve) => ws.on("close", (code) => resolve(code)));
  ws.on("error", () => {});
  const next = async (pred, ms = 3000) => {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = messages.find(pred);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no matching message; got ${JSON.stringify(messages)}`);
      await Promise.race([new Promise((r) => waiters.push(r)), sleep(50)]);
    }
  };
  const send = (msg) => ws.send(JSON.stringify(msg));
  return { ws, messages, next, send, closed, close: () => ws.close() };
}

async function health(port) {
  const res = await fetch(`http://127.0.0.1:${port}/health`);
  assert.equal(res.status, 200);
  return res.json();
}

async function waitHealth(port, want) {
  const deadline = Date.now() + 3000;
  let h;
  while (Date.now() < deadline) {
    h = await health(port);
    if (h.peers === want.peers && h.rooms === want.rooms) return h;
    await sleep(25);
  }
  assert.deepEqual({ peers: h.peers, rooms: h.rooms }, want);
  return h;
}

describe("peer server", () => {
  let srv;
  let port;
  before(async () => {
    srv = startServer();
    port = await srv.ready;
  });
  after(async () => {
    await srv.stop();
  });

  test("health starts empty", async () => {
    assert.deepEqual(await health(port), { ok: true, peers: 0, rooms: 0, port });
  });

  test("two members of a room connect and relay OFFER/ANSWER", async () => {
    const a = connect(port, { id: "roomA-u1-aaaa", token: tokenFor("roomA", "roomA-u1-aaaa") });
    const b = connect(port, { id: "roomA-u2-bbbb", token: tokenFor("roomA", "roomA-u2-bbbb") });
    await a.next((m) => m.type === "OPEN");
    await b.next((m) => m.type === "OPEN");
    await waitHealth(port, { peers: 2, rooms: 1 });

    const offer = { type: "media", connectionId: "mc_1", sdp: { type: "offer", sdp: "v=0" } };
    a.send({ type: "OFFER", dst: "roomA-u2-bbbb", payload: offer });
    const got = await b.next((m) => m.type === "OFFER");
    assert.equal(got.src, "roomA-u1-aaaa");
    assert.deepEqual(got.payload, offer);

    b.send({ type: "ANSWER", dst: "roomA-u1-aaaa", payload: { connectionId: "mc_1" } });
    const ans = await a.next((m) => m.type === "ANSWER");
    assert.equal(ans.src, "roomA-u2-bbbb");

    a.close();
    await a.closed;
    await waitHealth(port, { peers: 1, rooms: 1 });
    b.close();
    await b.closed;
    await waitHealth(port, { peers: 0, rooms: 0 });
  });

  test("a peer of another room on the same server is not reachable", async () => {
    const a = connect(port, { id: "r1-u1-x", token: tokenFor("r1", "r1-u1-x") });
    const b = connect(port, { id: "r1-u2-y", token: tokenFor("r1", "r1-u2-y") });
    const c = connect(port, { id: "r2-u3-z", token: tokenFor("r2", "r2-u3-z") });
    const d = connect(port, { id: "r2-u4-w", token: tokenFor("r2", "r2-u4-w") });
    await Promise.all([a, b, c, d].map((p) => p.next((m) => m.type === "OPEN")));
    await waitHealth(port, { peers: 4, rooms: 2 });

    a.send({ type: "OFFER", dst: "r2-u3-z", payload: { connectionId: "dc_x" } });
    a.send({ type: "OFFER", dst: "r1-u2-y", payload: { connectionId: "dc_y" } });
    await b.next((m) => m.type === "OFFER" && m.payload.connectionId === "dc_y");
    // The server handled a's offer to c before the one b got; a marker from c's own room sent now reaches c
    // after anything that offer could have sent.
    d.send({ type: "OFFER", dst: "r2-u3-z", payload: { connectionId: "marker" } });
    await c.next((m) => m.type === "OFFER");
    assert.deepEqual(
      c.messages.map((m) => [m.type, m.payload?.connectionId]),
      [["OPEN", undefined], ["OFFER", "marker"]],
    );
    for (const p of [a, b, c, d]) p.close();
    await Promise.all([a, b, c, d].map((p) => p.closed));
    await waitHealth(port, { peers: 0, rooms: 0 });
  });

  const refusals = [
    ["no token", () => ({ id: "rx-u-1", token: undefined }), "missing"],
    ["an empty token", () => ({ id: "rx-u-1", token: "" }), "missing"],
    ["a malformed token", () => ({ id: "rx-u-1", token: "not-a-token" }), "malformed"],
    ["a bad signature", () => ({ id: "rx-u-1", token: tokenFor("rx", "rx-u-1", { secret: "wrong" }) }), "signature"],
    ["an expired token", () => ({ id: "rx-u-1", token: tokenFor("rx", "rx-u-1", { expires: exp(-1) }) }), "expired"],
    ["a token of another peer id", () => ({ id: "rx-u-1", token: tokenFor("rx", "rx-u-2") }), "peer"],
  ];
  for (const [name, opts, reason] of refusals) {
    test(`refuses a client with ${name}`, async () => {
      const p = connect(port, opts());
      const err = await p.next((m) => m.type === "ERROR");
      assert.match(err.payload.msg, new RegExp(`token.*${reason}`));
      assert.equal(await p.closed, 1008);
      assert.ok(!p.messages.some((m) => m.type === "OPEN"));
      assert.equal((await health(port)).peers, 0);
      assert.ok(srv.lines.some((l) => l.includes('"refused"') && l.includes(`"reason":"${reason}"`)));
    });
  }

  test("a refused client's messages go nowhere", async () => {
    const b = connect(port, { id: "rq-u2-b", token: tokenFor("rq", "rq-u2-b") });
    const d = connect(port, { id: "rq-u3-d", token: tokenFor("rq", "rq-u3-d") });
    await Promise.all([b, d].map((p) => p.next((m) => m.type === "OPEN")));
    const bad = connect(port, { id: "rq-u1-a", token: tokenFor("rq", "rq-u1-a", { secret: "wrong" }) });
    bad.ws.on("open", () => bad.send({ type: "OFFER", dst: "rq-u2-b", payload: { connectionId: "bad" } }));
    await bad.closed;
    // The server read everything the refused client sent before its close; a marker sent now reaches b after
    // anything that could have been relayed.
    d.send({ type: "OFFER", dst: "rq-u2-b", payload: { connectionId: "marker" } });
    await b.next((m) => m.type === "OFFER");
    assert.deepEqual(
      b.messages.map((m) => [m.type, m.payload?.connectionId]),
      [["OPEN", undefined], ["OFFER", "marker"]],
    );
    for (const p of [b, d]) p.close();
    await Promise.all([b, d].map((p) => p.closed));
  });

  test("the PeerJS key is still checked", async () => {
    const p = connect(port, { id: "rk-u-1", token: tokenFor("rk", "rk-u-1"), key: "peerjs" });
    const err = await p.next((m) => m.type === "ERROR");
    assert.match(err.payload.msg, /key/i);
    await p.closed;
  });

  test("tokens never reach the log", async () => {
    const token = tokenFor("rl", "rl-u-1");
    const p = connect(port, { id: "rl-u-1", token });
    await p.next((m) => m.type === "OPEN");
    p.close();
    await p.closed;
    await waitHealth(port, { peers: 0, rooms: 0 });
    const log = srv.lines.join("\n");
    assert.ok(log.includes('"event":"connect"') && log.includes('"event":"disconnect"'));
    assert.ok(!log.includes(token.split(".")[1]));
    assert.ok(!log.includes(SECRET));
  });

  test("websocket upgrades elsewhere are refused", async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/other?key=flmnchll&id=a&token=b`);
    const outcome = await new Promise((resolve) => {
      ws.on("unexpected-response", (_req, res) => resolve(res.statusCode));
      ws.on("error", (e) => resolve(e.message));
      ws.on("open", () => resolve("open"));
    });
    assert.notEqual(outcome, "open");
  });
});

describe("configuration", () => {
  test("PEER_PORT, PEER_PATH and PEER_KEY come from the environment; SIGTERM stops it", async () => {
    const srv = startServer({ args: [], env: { PEER_PORT: "0", PEER_PATH: "/sig", PEER_KEY: "k2" } });
    try {
      const port = await srv.ready;
      const p = connect(port, { id: "re-u-1", token: tokenFor("re", "re-u-1"), key: "k2", base: "/sig" });
      await p.next((m) => m.type === "OPEN");
      assert.deepEqual(await health(port), { ok: true, peers: 1, rooms: 1, port });
      srv.child.kill("SIGTERM");
      const { code } = await srv.exited;
      assert.equal(code, 0);
      await p.closed;
    } finally {
      await srv.stop();
    }
  });

  test("a rotated secret file takes effect without a restart", async () => {
    const srv = startServer();
    try {
      const port = await srv.ready;
      writeFileSync(path.join(srv.secretsDir, "peer-token-key"), "rotated-secret\n");
      const old = connect(port, { id: "rr-u-1", token: tokenFor("rr", "rr-u-1") });
      assert.equal((await old.next((m) => m.type === "OPEN" || m.type === "ERROR")).type, "ERROR");
      const fresh = connect(port, { id: "rr-u-2", token: tokenFor("rr", "rr-u-2", { secret: "rotated-secret" }) });
      await fresh.next((m) => m.type === "OPEN");
      fresh.close();
    } finally {
      await srv.stop();
    }
  });

  test("PEER_TOKEN_KEY overrides the file", async () => {
    const srv = startServer({ env: { PEER_TOKEN_KEY: "from-env" } });
    try {
      const port = await srv.ready;
      const p = connect(port, { id: "ev-u-1", token: tokenFor("ev", "ev-u-1", { secret: "from-env" }) });
      await p.next((m) => m.type === "OPEN");
      p.close();
    } finally {
      await srv.stop();
    }
  });

  test("without the secret it exits non-zero", async () => {
    const child = spawn(process.execPath, [SERVER, "--port", "0"], {
      env: { PATH: process.env.PATH, SECRETS_DIR: path.join(tmpdir(), "does-not-exist-peer") },
      stdio: "ignore",
    });
    const code = await new Promise((resolve) => child.on("exit", resolve));
    assert.notEqual(code, 0);
  });
});
