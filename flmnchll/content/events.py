"""What workers tell the content manager, applied to the catalog.

Two kinds of workers finish renditions of the same item at the same moment, and FerretDB's updates are
read-modify-write, so every change to an item happens under a short Redis lock on that item. An item becomes
`ready` when the last planned rendition is recorded, whoever records it; each rendition is listed (and
playable) as soon as it is recorded.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flmnchll.content import catalog, progress
from flmnchll.errors import ApiError, BadRequest, Conflict, ServiceUnavailable
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
    planned = {entry["name"] for entry in item.get("plan") or []}
    done = {entry["name"] for entry in item.get("renditions") or []}
    return bool(planned) and planned <= done


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
        if kind in ("rendition", "ready", "planned") and merged.get("status") == "processing" \
                and plan_complete(merged):
            changes.update({"status": "ready", "error": None, "ready_at": catalog.now()})
        if changes:
            catalog.save(content_id, changes)
        return {"status": changes.get("status", item.get("status"))}


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
