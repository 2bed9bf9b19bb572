"""Serving an item's HLS playlists where the storage cannot sign a prefix (S3): each URI presigned.

A player given the master playlist's link (`links.stream_url`) resolves every relative URI against it, so
the media playlists come here under the same signed prefix. The prefix is checked exactly as nginx checks it
locally; the playlist is read from the storage and each segment's relative name is replaced by that
object's own presigned URL, expiring with the prefix. Segments are then fetched from the bucket directly
(its CORS rule lets the app's origin read them). Playlists are answered `no-cache`: they grow while the
item encodes.
"""

from __future__ import annotations

from flmnchll import storage
from flmnchll.content.links import media_key, sign, stream_signature_valid
from flmnchll.errors import Forbidden, NotFound
from flmnchll.media import hls

PLAYLIST_HEADERS = {"Content-Type": hls.MIME, "Cache-Control": "no-cache"}


def signed_playlist(content_id: str, expires: str, signature: str, stream: str | None, name: str) -> str:
    """The playlist `<id>/hls/[<stream>/]<name>` with its URIs signed; 403 for a bad or expired link."""
    try:
        valid = stream_signature_valid(content_id, expires, signature)
        folder = f"{hls.ROOT}/{stream}" if stream else hls.ROOT
        key = media_key(content_id, f"{folder}/{name}")
    except ValueError:
        valid = False
    if not valid:
        raise Forbidden("This stream link is not valid or has expired.", code="link_invalid")
    if not name.endswith(".m3u8"):
        raise NotFound("Only playlists are served here; segments come from the storage.", code="not_a_playlist")
    try:
        text = storage.media().get_bytes(key).decode()
    except storage.NotFound as exc:
        raise NotFound("This stream has no such playlist (yet).", code="playlist_not_found") from exc
    if stream is None:  # the master names media playlists, which come here again under the same prefix
        return text
    return hls.rewrite_uris(text, lambda uri: sign(content_id, f"{folder}/{uri}", expires=int(expires)))
