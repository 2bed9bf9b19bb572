"""Signed, expiring media links checked by nginx's `secure_link` module.

nginx recomputes `md5("$secure_link_expires$uri <media-secret>")` (binary MD5, base64url without padding)
and refuses the request when it differs or the expiry has passed, so media is served straight from disk
without a round trip to a function. Expiries are rounded up to the hour so the same link comes back for an
hour (browsers and CDNs can cache it), and are never shorter than the item plus a comfortable margin, so a
long film does not stop halfway through.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import time
from urllib.parse import quote

from flmnchll.config import read_secret, settings

MEDIA_PREFIX = "/media/"
DEFAULT_TTL = 6 * 3600
ROUND_TO = 3600
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def link_ttl(duration: float = 0.0) -> int:
    base = int(os.environ.get("MEDIA_LINK_TTL", DEFAULT_TTL))
    return max(base, int(duration * 2) + 3600)


def signature(uri: str, expires: int, secret: str) -> str:
    digest = hashlib.md5(f"{expires}{uri} {secret}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def media_uri(content_id: str, name: str) -> str:
    """The path nginx serves for a file of an item; both parts must be plain names (no slashes, no dots first)."""
    if not SAFE_NAME.match(content_id) or not all(SAFE_NAME.match(part) for part in name.split("/")):
        raise ValueError(f"unsafe media name: {content_id}/{name}")
    return f"{MEDIA_PREFIX}{quote(content_id)}/{quote(name)}"


def sign(content_id: str, name: str, *, duration: float = 0.0, now: float | None = None,
         expires: int | None = None, absolute: bool = False) -> str:
    """A signed URL for `MEDIA_DIR/<content_id>/<name>`, relative to the front door unless `absolute`."""
    uri = media_uri(content_id, name)
    if expires is None:
        moment = int(now if now is not None else time.time()) + link_ttl(duration)
        expires = -(-moment // ROUND_TO) * ROUND_TO
    secret = read_secret("media-secret", "MEDIA_SECRET")
    url = f"{uri}?md5={signature(uri, expires, secret)}&expires={expires}"
    return settings().public_url + url if absolute else url
