"""Signed, expiring media links, made by the configured storage so playback never depends on where files live.

Locally they are nginx `secure_link` links (`md5("$secure_link_expires$uri <media-secret>")`, base64url,
expiry rounded up to the hour so the same link comes back for an hour); on S3-compatible storage they are
presigned GETs. Either way they are never shorter than twice the item plus an hour, so a long film does not
stop halfway through. `flmnchll.storage` holds both schemes; this module only names an item's file.

An item's HLS stream is many files whose playlists name each other and their segments by relative URIs, so
its link signs a path prefix instead of one file: `<base>/<expires>/<signature>/<id>/hls/master.m3u8`, where
the signature is the same md5 scheme over `<expires>/media/<id>/hls/`, and every file below inherits it.
Locally `<base>` is nginx's `/media/s` (it checks the prefix and serves the files); on S3, where a presigned
URL covers one object only, it is `list-content`'s `/function/list-content/s`, which checks the prefix the
same way and answers the playlists with each segment's own presigned URL in place of its relative name.
"""

from __future__ import annotations

import hmac
import time

from flmnchll import storage
from flmnchll.config import read_secret
from flmnchll.media import hls
from flmnchll.storage import DEFAULT_TTL, MEDIA_PREFIX, link_ttl

__all__ = ["DEFAULT_TTL", "MEDIA_PREFIX", "link_ttl", "media_key", "sign", "stream_url", "stream_signature_valid"]

LOCAL_STREAM_BASE = "/media/s"
S3_STREAM_BASE = "/function/list-content/s"


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


def _stream_signature(content_id: str, expires: int) -> str:
    scope = f"{MEDIA_PREFIX}{media_key(content_id, hls.ROOT)}/"
    return storage.secure_link_signature(scope, expires, read_secret("media-secret", "MEDIA_SECRET"))


def stream_url(content_id: str, *, duration: float = 0.0, now: float | None = None,
               expires: int | None = None) -> str:
    """The signed link of an item's master playlist, relative to the front door."""
    if expires is None:
        expires = storage.rounded_expiry(link_ttl(duration), now)
    base = S3_STREAM_BASE if storage.backend_name() == "s3" else LOCAL_STREAM_BASE
    return f"{base}/{expires}/{_stream_signature(content_id, expires)}/{content_id}/{hls.ROOT}/{hls.MASTER}"


def stream_signature_valid(content_id: str, expires: str, signature: str, now: float | None = None) -> bool:
    """Whether a stream link's prefix was signed by us and has not expired."""
    if not expires.isdigit() or int(expires) < (now if now is not None else time.time()):
        return False
    return hmac.compare_digest(_stream_signature(content_id, int(expires)), signature)
