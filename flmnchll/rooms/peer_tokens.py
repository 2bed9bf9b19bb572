"""Short-lived tokens that let one member open one PeerJS connection with one peer id.

Format (checked by the PeerJS servers in `peer/token.mjs`): part1 = base64url(JSON {room, peer, user, exp}),
part2 = base64url(HMAC-SHA256(peer-token-key, part1)), token = part1 + "." + part2, no padding.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time

from flmnchll import keys

DEFAULT_TTL_SECONDS = 600


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def token_ttl() -> int:
    return int(os.environ.get("PEER_TOKEN_TTL", DEFAULT_TTL_SECONDS))


def sign_json(payload_json: str, secret: str) -> str:
    """Sign a payload already serialised; the signature covers its base64url text exactly as sent."""
    part1 = _b64url(payload_json.encode("utf-8"))
    part2 = _b64url(hmac.new(secret.encode(), part1.encode("ascii"), hashlib.sha256).digest())
    return f"{part1}.{part2}"


def sign_payload(payload: dict, secret: str) -> str:
    """Sign a payload as compact JSON."""
    return sign_json(json.dumps(payload, separators=(",", ":"), ensure_ascii=False), secret)


def issue(room: str, peer: str, user: str, *, ttl: int | None = None, now: float | None = None,
          secret: str | None = None) -> tuple[str, int]:
    """(token, exp) for `peer` of `user` in `room`."""
    exp = int((now if now is not None else time.time()) + (ttl if ttl is not None else token_ttl()))
    key = secret if secret is not None else keys.read(keys.PEER_TOKEN_KEY)
    return sign_payload({"room": room, "peer": peer, "user": user, "exp": exp}, key), exp


def _well_formed(payload: dict) -> bool:
    ids_ok = all(isinstance(payload.get(k), str) and 0 < len(payload[k]) <= 256 for k in ("room", "peer", "user"))
    exp = payload.get("exp")
    return ids_ok and isinstance(exp, int) and not isinstance(exp, bool)


def verify(token: str, secret: str, *, now: float | None = None) -> dict | None:
    """The payload of a valid, unexpired token, else None (the servers do the real check; this serves tests)."""
    try:
        part1, part2 = token.split(".")
        expected = _b64url(hmac.new(secret.encode(), part1.encode("ascii"), hashlib.sha256).digest())
        if not hmac.compare_digest(expected, part2):
            return None
        payload = json.loads(_unb64url(part1))
    except (ValueError, UnicodeError):
        return None
    if not isinstance(payload, dict) or not _well_formed(payload):
        return None
    return payload if (now if now is not None else time.time()) < payload["exp"] else None
