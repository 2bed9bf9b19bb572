"""Signed, expiring media links, made by the configured storage so playback never depends on where files live.

Locally they are nginx `secure_link` links (`md5("$secure_link_expires$uri <media-secret>")`, base64url,
expiry rounded up to the hour so the same link comes back for an hour); on S3-compatible storage they are
presigned GETs. Either way they are never shorter than twice the item plus an hour, so a long film does not
stop halfway through. `flmnchll.storage` holds both schemes; this module only names an item's file.
"""

from __future__ import annotations

from flmnchll import storage
from flmnchll.storage import DEFAULT_TTL, MEDIA_PREFIX, link_ttl

__all__ = ["DEFAULT_TTL", "MEDIA_PREFIX", "link_ttl", "media_key", "sign"]


def media_key(content_id: str, name: str) -> str:
    """The media storage key of a file of an item; the id is one plain name, the name one or more."""
    if "/" in content_id:
        raise ValueError(f"unsafe media name: {content_id}/{name}")
    return storage.check_key(f"{content_id}/{name}")


def sign(content_id: str, name: str, *, duration: float = 0.0, now: float | None = None,
         expires: int | None = None, absolute: bool = False) -> str:
    """A signed URL for a file of an item; locally relative to the front door unless `absolute`."""
    return storage.media().signed_url(media_key(content_id, name), duration=duration, now=now, expires=expires,
                                      absolute=absolute)
