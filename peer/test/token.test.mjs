import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { TokenError, signPeerToken, verifyPeerToken } from "../token.js";

const vectors = JSON.parse(readFileSync(new URL("./token-vectors.json", import.meta.url), "utf8"));
const { secret, now } = vectors;

test("compact vectors are what signPeerToken produces", () => {
  const v = vectors.valid[0];
  assert.equal(JSON.stringify(v.payload), v.payload_json);
  assert.equal(signPeerToken(v.payload, secret), v.token);
});

for (const v of vectors.valid) {
  test(`valid vector: ${v.name}`, () => {
    assert.deepEqual(verifyPeerToken(v.token, secret, { peerId: v.peer_id, now }), {
      room: v.payload.room,
      peer: v.payload.peer,
      user: v.payload.user,
      exp: v.payload.exp,
    });
  });
}

for (const v of vectors.invalid) {
  test(`invalid vector: ${v.name} -> ${v.reason}`, () => {
    assert.throws(
      () => verifyPeerToken(v.token, secret, { peerId: v.peer_id, now }),
      (err) => err instanceof TokenError && err.reason === v.reason,
    );
  });
}

test("a non-string token is malformed", () => {
  assert.throws(() => verifyPeerToken(["a.b"], secret), (err) => err.reason === "malformed");
  assert.throws(() => verifyPeerToken(undefined, secret), (err) => err.reason === "missing");
});

test("the current clock is used by default", () => {
  const exp = Math.floor(Date.now() / 1000);
  const fresh = signPeerToken({ room: "r", peer: "p", user: "u", exp: exp + 60 }, secret);
  const stale = signPeerToken({ room: "r", peer: "p", user: "u", exp: exp - 1 }, secret);
  assert.equal(verifyPeerToken(fresh, secret, { peerId: "p" }).room, "r");
  assert.throws(() => verifyPeerToken(stale, secret, { peerId: "p" }), (err) => err.reason === "expired");
});
