// Peer tokens: the short-lived credential join-room hands a member for one PeerJS connection.
//
//   token   = part1 "." part2
//   part1   = base64url(UTF-8 JSON object {room, peer, user, exp}), no "=" padding
//   part2   = base64url(HMAC-SHA256(key = secret bytes, msg = ASCII bytes of part1)), no padding
//
// room, peer and user are non-empty strings, exp is an integer (epoch seconds). A token is valid
// while now < exp. The signature covers part1 exactly as sent, so key order and spacing of the
// JSON do not matter to the verifier.
import { createHmac, timingSafeEqual } from "node:crypto";

const B64URL = /^[A-Za-z0-9_-]+$/;
const MAX_TOKEN_LENGTH = 2048;

export class TokenError extends Error {
  constructor(reason) {
    super(reason);
    this.reason = reason;
  }
}

const b64url = (buf) => Buffer.from(buf).toString("base64url");

const sign = (part1, secret) => b64url(createHmac("sha256", secret).update(part1, "ascii").digest());

export function signPeerToken(payload, secret) {
  const part1 = b64url(Buffer.from(JSON.stringify(payload), "utf8"));
  return `${part1}.${sign(part1, secret)}`;
}

const isId = (v) => typeof v === "string" && v.length > 0 && v.length <= 256;

// Returns the payload {room, peer, user, exp} or throws TokenError with a short reason:
// missing, malformed, signature, expired, peer.
export function verifyPeerToken(token, secret, { peerId, now = Date.now() / 1000 } = {}) {
  if (token === undefined || token === null || token === "") throw new TokenError("missing");
  if (typeof token !== "string" || token.length > MAX_TOKEN_LENGTH) throw new TokenError("malformed");
  const parts = token.split(".");
  if (parts.length !== 2 || !B64URL.test(parts[0]) || !B64URL.test(parts[1])) {
    throw new TokenError("malformed");
  }
  const [part1, part2] = parts;
  const expected = Buffer.from(sign(part1, secret), "ascii");
  const given = Buffer.from(part2, "ascii");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new TokenError("signature");
  }
  let payload;
  try {
    payload = JSON.parse(Buffer.from(part1, "base64url").toString("utf8"));
  } catch {
    throw new TokenError("malformed");
  }
  if (
    payload === null ||
    typeof payload !== "object" ||
    Array.isArray(payload) ||
    !isId(payload.room) ||
    !isId(payload.peer) ||
    !isId(payload.user) ||
    !Number.isInteger(payload.exp)
  ) {
    throw new TokenError("malformed");
  }
  if (!(now < payload.exp)) throw new TokenError("expired");
  if (peerId !== undefined && payload.peer !== peerId) throw new TokenError("peer");
  return { room: payload.room, peer: payload.peer, user: payload.user, exp: payload.exp };
}

// Reads the payload of a token already verified (no checks).
export function peekPeerToken(token) {
  return JSON.parse(Buffer.from(token.split(".")[0], "base64url").toString("utf8"));
}
