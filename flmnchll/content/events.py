"""What workers tell the content manager, applied to the catalog.

Two kinds of workers finish renditions of the same item at the same moment, and FerretDB's updates are
read-modify-write, so every change to an item happens under a short Redis lock on that item. An item becomes
`ready` when every planned stream has ended and every planned progressive file is recorded, whoever records
the last one; each progressive file is listed as soon as it is recorded.

A `stream` event (a rung's HLS stream has its first segments, or has ended) is recorded in the item's
`streams` and rewrites the item's master playlist in the media storage, under the same lock, so the master
always lists exactly the streams that have segments: the item is `playable` from the first one.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flmnchll import storage
from flmnchll.content import catalog, progress
from flmnchll.content.links import media_key
from flmnchll.errors import ApiError, BadRequest, Conflict, ServiceUnavailable
from flmnchll.media import hls
from flmnchll.stores import redis_client

LOCK_TTL_MS = 10_000
LOCK_WAIT_SECONDS = 8.0
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"

class Gone(ApiError):
    status, code = 410, "gone"


@contextmanager
def item_lock(content_id: str) -> Iterator[None]:
    """Serialise changes to one item across function instances."""
    client = redis_client()
    name = f"lock:content:{content_id}"
    token = secrets.token_hex(8)
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while not client.set(name, token, nx=True, px=LOCK_TTL_MS):
        if time.monotonic() > deadline:
            raise ServiceUnavailable("The video is busy being updated; try again.", code="content_busy")
        time.sleep(0.02)
    try:
        yield
    finally:
        client.eval(_RELEASE, 1, name, token)


def _current(content_id: str, generation: int) -> dict[str, Any]:
    item = catalog.find(content_id)
    if item is None:
        raise Gone("This video was deleted.", code="content_deleted")
    if int(item.get("generation") or 1) != generation:
        raise Conflict("This work belongs to an older processing run of the video.", code="stale_generation")
    return item


def plan_complete(item: dict[str, Any]) -> bool:
    plan = item.get("plan") or []
    return bool(plan) and all(progress.entry_done(item, entry) for entry in plan)


def apply(content_id: str, event: dict[str, Any]) -> dict[str, Any]:
    """Apply one worker event; returns the item's status afterwards."""
    kind, generation = event["kind"], int(event["generation"])
    if kind == "progress":
        _current(content_id, generation)
        progress.report(content_id, generation, event.get("stage") or "job", float(event.get("percent") or 0))
        return {"status": "processing"}
    with item_lock(content_id):
        item = _current(content_id, generation)
        changes: dict[str, Any] = {}
        if kind == "planned":
            info = event.get("info") or {}
            changes.update({"plan": event.get("plan") or [], "duration": info.get("duration"),
                            "width": info.get("width"), "height": info.get("height"),
                            "has_audio": info.get("has_audio")})
        elif kind == "rendition":
            rendition = _clean_rendition(event["rendition"])
            others = [r for r in item.get("renditions") or [] if r["name"] != rendition["name"]]
            changes["renditions"] = [*others, rendition]
        elif kind == "stream":
            stream = _clean_stream(event["stream"])
            others = [s for s in item.get("streams") or [] if s["name"] != stream["name"]]
            changes.update({"streams": [*others, stream], "playable": True})
            storage.media().put_bytes(media_key(content_id, f"{hls.ROOT}/{hls.MASTER}"),
                                      hls.master_playlist(changes["streams"]).encode(), hls.MIME)
        elif kind == "thumbnail":
            changes.update({"thumbnail": event.get("poster"), "preview": event.get("preview")})
        elif kind == "subtitles":
            kept = [s for s in item.get("subtitles") or [] if s.get("origin") == "upload"]
            languages = {s["lang"] for s in kept}
            tracks = [{"lang": str(t["lang"]), "label": str(t.get("label") or t["lang"]), "file": str(t["file"]),
                       "origin": "source"} for t in event.get("tracks") or [] if t.get("lang") not in languages]
            changes["subtitles"] = kept + tracks
        elif kind == "failed":
            if item.get("status") != "ready":
                changes.update({"status": "failed", "error": event.get("error") or "Processing failed."})
        elif kind == "ready" and not plan_complete(item):
            raise BadRequest("Not every planned rendition is done yet.", code="plan_incomplete")
        merged = {**item, **changes}
        if kind in ("rendition", "stream", "ready", "planned") and merged.get("status") == "processing" \
                and plan_complete(merged):
            changes.update({"status": "ready", "error": None, "ready_at": catalog.now()})
        if changes:
            catalog.save(content_id, changes)
        return {"status": changes.get("status", item.get("status"))}


def _clean_stream(raw: dict[str, Any]) -> dict[str, Any]:
    name = storage.check_key(str(raw["name"]))
    if raw.get("container") not in ("mp4", "webm") or "/" in name:
        raise BadRequest("A stream is one named mp4 (H.264) or webm (VP9) rung.", code="invalid_request")
    codecs = str(raw["codecs"])
    if not codecs or '"' in codecs or "\n" in codecs:
        raise BadRequest("A stream's codecs are an RFC 6381 list.", code="invalid_request")
    return {
        "name": name, "rendition": str(raw["rendition"]), "container": raw["container"],
        "rung": int(raw.get("rung") or min(int(raw["width"]), int(raw["height"]))),
        "width": int(raw["width"]), "height": int(raw["height"]), "codecs": codecs,
        "bandwidth": int(raw["bandwidth"]), "average_bandwidth": int(raw.get("average_bandwidth") or 0),
        "frame_rate": float(raw["frame_rate"]) if raw.get("frame_rate") else None,
        "segments": int(raw.get("segments") or 0), "duration": float(raw.get("duration") or 0),
        "complete": bool(raw.get("complete")),
    }


def _clean_rendition(raw: dict[str, Any]) -> dict[str, Any]:
    container = raw.get("container")
    if container not in ("mp4", "webm"):
        raise BadRequest("A rendition is mp4 or webm.", code="invalid_request")
    return {
        "name": str(raw["name"]), "container": container, "width": int(raw["width"]), "height": int(raw["height"]),
        "rung": int(raw.get("rung") or min(int(raw["width"]), int(raw["height"]))),
        "size": int(raw.get("size") or 0), "video_codec": str(raw.get("video_codec") or ""),
        "audio_codec": str(raw.get("audio_codec") or ""), "remuxed": bool(raw.get("remuxed")),
    }
