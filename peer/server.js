// One PeerJS signalling server of the pool: node server.js --port 9000
//
// Environment: PEER_PORT (when --port is absent), PEER_BIND (127.0.0.1), PEER_PATH (/peerjs),
// PEER_KEY (flmnchll), SECRETS_DIR (holds peer-token-key) or PEER_TOKEN_KEY.
// Websockets live at ${PEER_PATH}/peerjs (what the PeerJS client derives from its `path` option) and
// must carry a valid peer token (see token.js) whose `peer` is the connecting id. GET /health
// answers {"ok":true,"peers":N,"rooms":M}.
import { readFileSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import express from "express";
import { ExpressPeerServer } from "peer";
import { WebSocket, WebSocketServer } from "ws";
import { TokenError, peekPeerToken, verifyPeerToken } from "./token.js";

const RELAYED = new Set(["OFFER", "ANSWER", "CANDIDATE", "LEAVE", "EXPIRE"]);

function log(event, fields = {}) {
  process.stdout.write(`${JSON.stringify({ t: new Date().toISOString(), event, ...fields })}\n`);
}

// The peer-token key, derived from the root secret for this one use (flmnchll/keys.py): PEER_TOKEN_KEY
// when set, else the file SECRETS_DIR/peer-token-key (whitespace-trimmed). The root secret is never read
// here. The file is re-read on every connection so a rotated key takes effect without a restart; if it
// becomes unreadable the last value is kept.
export function secretSource(env) {
  if (env.PEER_TOKEN_KEY) {
    const value = env.PEER_TOKEN_KEY;
    return () => value;
  }
  if (!env.SECRETS_DIR) throw new Error("SECRETS_DIR is not set");
  const file = path.join(env.SECRETS_DIR, "peer-token-key");
  let last = readFileSync(file, "utf8").trim();
  if (!last) throw new Error("empty peer-token-key");
  return () => {
    try {
      const value = readFileSync(file, "utf8").trim();
      if (value) last = value;
    } catch (err) {
      log("error", { message: `cannot read peer-token-key: ${err.code ?? err.message}` });
    }
    return last;
  };
}

// Sends a PeerJS ERROR message (the browser client reports it as a server-error) and closes.
function refuse(ws, reason) {
  ws.send(JSON.stringify({ type: "ERROR", payload: { msg: `Invalid token provided: ${reason}` } }));
  ws.close(1008, "token refused");
}

export function createPeerServer({ port, host = "127.0.0.1", basePath = "/peerjs", key = "flmnchll", secret }) {
  const getSecret = typeof secret === "function" ? secret : () => secret;
  if (!getSecret()) throw new Error("empty peer-token-key");
  const connected = new Map(); // peer id -> {room, user}
  const wsPath = path.posix.join(basePath, "peerjs");

  const app = express();
  app.disable("x-powered-by");
  app.get("/health", (_req, res) => {
    const rooms = new Set([...connected.values()].map((c) => c.room));
    res.json({ ok: true, peers: connected.size, rooms: rooms.size, port: server.address()?.port });
  });
  const server = http.createServer(app);

  // Every accepted socket is a RoomSocket (ws's `WebSocket` option). A member may signal only peers of its own
  // room: a relayed message to a peer connected here in another room is dropped before peer's handlers see it
  // (messages to ids not connected yet are left to peer's queue, which expires them).
  class RoomSocket extends WebSocket {
    room = undefined; // set from the verified token before the socket is handed to peer

    emit(event, ...args) {
      if (event === "message" && this.room !== undefined && crossesRooms(this.room, args[0])) return false;
      return super.emit(event, ...args);
    }
  }

  function crossesRooms(room, data) {
    let msg = null;
    try {
      msg = JSON.parse(data.toString());
    } catch {
      return false; // peer reports unparsable messages itself
    }
    const dst = msg && RELAYED.has(msg.type) ? connected.get(msg.dst) : undefined;
    if (!dst || dst.room === room) return false;
    log("dropped", { type: msg.type, reason: "other room" });
    return true;
  }

  // peer's own websocket server, through its `createWebSocketServer` option: we handle the HTTP upgrade,
  // check the token first, and only hand verified sockets to peer (which then checks key and id as usual).
  const createWebSocketServer = () => {
    const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024, WebSocket: RoomSocket });
    server.on("upgrade", (req, socket, head) => {
      const url = new URL(req.url ?? "/", "http://peer.invalid");
      if (url.pathname !== wsPath) {
        socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
        return;
      }
      const peerId = url.searchParams.get("id") ?? "";
      let claims = null;
      let reason = null;
      try {
        claims = verifyPeerToken(url.searchParams.get("token") ?? undefined, getSecret(), { peerId });
      } catch (err) {
        if (!(err instanceof TokenError)) throw err;
        reason = err.reason;
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        if (reason) {
          log("refused", { peer: peerId.slice(0, 128), reason });
          refuse(ws, reason);
          return;
        }
        ws.room = claims.room;
        wss.emit("connection", ws, req);
      });
    });
    return wss;
  };

  const peerApp = ExpressPeerServer(server, {
    path: "/",
    key,
    allow_discovery: false,
    proxied: true,
    createWebSocketServer,
  });
  peerApp.on("connection", (client) => {
    const { room, user } = peekPeerToken(client.getToken());
    connected.set(client.getId(), { room, user });
    log("connect", { peer: client.getId(), room, user });
  });
  peerApp.on("disconnect", (client) => {
    const c = connected.get(client.getId());
    connected.delete(client.getId());
    log("disconnect", { peer: client.getId(), room: c?.room });
  });
  peerApp.on("error", (err) => log("error", { message: String(err?.message ?? err) }));
  app.use(basePath, peerApp);

  return {
    server,
    connected,
    listen: () =>
      new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          server.off("error", reject);
          resolve(server.address());
        });
      }),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

function config(argv, env) {
  const { values } = parseArgs({
    args: argv,
    options: { port: { type: "string" }, host: { type: "string" } },
  });
  const port = Number(values.port ?? env.PEER_PORT ?? 9000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`bad port: ${values.port ?? env.PEER_PORT}`);
  return {
    port,
    host: values.host ?? env.PEER_BIND ?? "127.0.0.1",
    basePath: env.PEER_PATH || "/peerjs",
    key: env.PEER_KEY || "flmnchll",
    secret: secretSource(env),
  };
}

async function main() {
  const cfg = config(process.argv.slice(2), process.env);
  const peer = createPeerServer(cfg);
  const addr = await peer.listen();
  log("listening", { host: addr.address, port: addr.port, path: cfg.basePath });
  let stopping = false;
  const stop = (signal) => {
    if (stopping) return;
    stopping = true;
    log("stopping", { signal });
    peer.close().then(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    log("fatal", { message: String(err?.message ?? err) });
    process.exit(1);
  });
}
