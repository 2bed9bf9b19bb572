"""Time-limited TURN credentials in coturn's REST API scheme (`use-auth-secret`).

coturn derives the expected password from the username with the shared `turn-secret`, so no per-user state is
stored anywhere: username = "<expiry epoch s>:<user id>", password = base64(HMAC-SHA1(secret, username)).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import time

from flmnchll import keys
from flmnchll.config import settings

DEFAULT_TTL_SECONDS = 12 * 3600


def credential_ttl() -> int:
    return int(os.environ.get("TURN_CREDENTIAL_TTL", DEFAULT_TTL_SECONDS))


def turn_password(secret: str, username: str) -> str:
    """coturn's expected password for a REST-API username."""
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def credentials(user_id: str, *, ttl: int | None = None, now: float | None = None,
                secret: str | None = None) -> tuple[str, str, int]:
    """(username, password, expiry epoch seconds) valid for `ttl` seconds."""
    expiry = int((now if now is not None else time.time()) + (ttl if ttl is not None else credential_ttl()))
    username = f"{expiry}:{user_id}"
    key = secret if secret is not None else keys.read(keys.TURN_SECRET)
    return username, turn_password(key, username), expiry


def ice_servers(user_id: str) -> list[dict]:
    """STUN and TURN (UDP and TCP) entries for an RTCPeerConnection's `iceServers`, all on our own coturn."""
    cfg = settings()
    host = os.environ.get("TURN_PUBLIC_HOST") or cfg.turn_host
    username, password, _ = credentials(user_id)
    return [
        {"urls": [f"stun:{host}:{cfg.turn_port}"]},
        {
            "urls": [f"turn:{host}:{cfg.turn_port}?transport=udp", f"turn:{host}:{cfg.turn_port}?transport=tcp"],
            "username": username,
            "credential": password,
        },
    ]
