"""The catalog: content items in MongoDB and the shape clients see.

An item is created once per upload (a unique index on `upload_id` makes a repeated hook harmless), starts
`processing`, becomes `playable` when its first HLS segments are published (viewers see it from then on),
gains progressive renditions as workers finish them and becomes `ready` when the plan is complete, or
`failed` with a reason. `generation` grows on every re-processing so late events of an older run are ignored.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime
from typing import Any

import pymongo
import pymongo.errors

from flmnchll.content import links
from flmnchll.content.progress import overall_progress
from flmnchll.content.visibility import WATCHABLE
from flmnchll.errors import NotFound
from flmnchll.stores import db

STATUSES = ("processing", "ready", "failed")
ID_PATTERN = re.compile(r"^[a-f0-9]{16}$")
MAX_PER_PAGE = 100


def now() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return secrets.token_hex(8)


def collection() -> pymongo.collection.Collection:
    return db().content


def create(upload_id: str, source: dict[str, Any], *, title: str, description: str = "", filename: str = "",
           size: int | None = None, owner: str | None = None) -> tuple[dict[str, Any], bool]:
    """Record a finished upload; returns `(item, created)`. The same upload id always yields the same item."""
    existing = collection().find_one({"upload_id": upload_id})
    if existing:
        return existing, False
    stamp = now()
    item: dict[str, Any] = {
        "_id": new_id(), "upload_id": upload_id, "source": source, "title": title, "description": description,
        "filename": filename, "size": size, "owner": owner, "status": "processing", "error": None,
        "generation": 1, "duration": None, "width": None, "height": None, "plan": [], "renditions": [],
        "streams": [], "playable": False,
        "subtitles": [], "thumbnail": None, "custom_thumbnail": None, "preview": None,
        "created_at": stamp, "updated_at": stamp, "ready_at": None,
    }
    try:
        collection().insert_one(item)
    except pymongo.errors.DuplicateKeyError:
        existing = collection().find_one({"upload_id": upload_id})
        if existing:
            return existing, False
        raise
    return item, True


def get(content_id: str) -> dict[str, Any]:
    item = collection().find_one({"_id": content_id}) if ID_PATTERN.match(content_id or "") else None
    if item is None:
        raise NotFound("There is no such video.", code="content_not_found")
    return item


def find(content_id: str) -> dict[str, Any] | None:
    return collection().find_one({"_id": content_id}) if ID_PATTERN.match(content_id or "") else None


def save(content_id: str, changes: dict[str, Any]) -> None:
    collection().update_one({"_id": content_id}, {"$set": {**changes, "updated_at": now()}})


def search(query: str = "", *, page: int = 1, per_page: int = 20, include_all: bool = False,
           ) -> tuple[list[dict[str, Any]], int]:
    """One page of items, newest first; viewers only see `watchable` ones. `query` matches titles, any case."""
    selector: dict[str, Any] = {} if include_all else dict(WATCHABLE)
    if query.strip():
        selector["title"] = {"$regex": re.escape(query.strip()), "$options": "i"}
    per_page = max(1, min(MAX_PER_PAGE, per_page))
    page = max(1, page)
    total = collection().count_documents(selector)
    cursor = collection().find(selector).sort("created_at", -1).skip((page - 1) * per_page).limit(per_page)
    return list(cursor), total


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat().replace("+00:00", "Z")


def _rendition_public(content_id: str, rendition: dict[str, Any], duration: float) -> dict[str, Any]:
    return {
        "container": rendition["container"], "width": rendition["width"], "height": rendition["height"],
        "rung": rendition.get("rung"), "name": rendition["name"], "size": rendition.get("size"),
        "mime": "video/mp4" if rendition["container"] == "mp4" else "video/webm",
        "url": links.sign(content_id, rendition["name"], duration=duration),
    }


def _ordered_streams(item: dict[str, Any]) -> list[dict[str, Any]]:
    return sorted(item.get("streams") or [], key=lambda s: (s["container"] != "mp4", s["width"] * s["height"]))


def _stream_public(stream: dict[str, Any]) -> dict[str, Any]:
    return {"name": stream["name"], "container": stream["container"], "width": stream["width"],
            "height": stream["height"], "codecs": stream["codecs"], "bandwidth": stream["bandwidth"],
            "complete": stream.get("complete", False)}


def public(item: dict[str, Any], *, admin: bool = False) -> dict[str, Any]:
    """The CONTRACT shape of an item, with signed links; admins also get progress, error and the plan."""
    content_id = item["_id"]
    duration = float(item.get("duration") or 0)
    order = {"mp4": 0, "webm": 1}
    renditions = sorted(item.get("renditions") or [],
                        key=lambda r: (-(r.get("height") or 0) * (r.get("width") or 0), order.get(r["container"], 2)))
    thumbnail = item.get("custom_thumbnail") or item.get("thumbnail")
    preview = item.get("preview")
    shaped: dict[str, Any] = {
        "id": content_id,
        "title": item.get("title", ""),
        "description": item.get("description", ""),
        "duration": item.get("duration"),
        "width": item.get("width"),
        "height": item.get("height"),
        "status": item.get("status"),
        "thumbnail": links.sign(content_id, thumbnail, duration=duration) if thumbnail else None,
        "preview": {**preview, "sprite": links.sign(content_id, preview["sprite"], duration=duration),
                    "vtt": links.sign(content_id, preview["vtt"], duration=duration)} if preview else None,
        "renditions": [_rendition_public(content_id, r, duration) for r in renditions],
        "playable": bool(item.get("playable")),
        "stream": {"type": "hls", "url": links.stream_url(content_id, duration=duration),
                   "renditions": [_stream_public(s) for s in _ordered_streams(item)]}
        if item.get("playable") else None,
        "subtitles": [{"lang": s["lang"], "label": s.get("label") or s["lang"],
                       "url": links.sign(content_id, s["file"], duration=duration)}
                      for s in item.get("subtitles") or []],
        "created_at": _iso(item.get("created_at")),
        "ready_at": _iso(item.get("ready_at")),
    }
    if admin:
        done = {r["name"] for r in item.get("renditions") or []}
        shaped.update({
            "progress": 100 if item.get("status") == "ready" else overall_progress(item),
            "error": item.get("error"),
            "filename": item.get("filename"),
            "size": item.get("size"),
            "generation": item.get("generation"),
            "plan": [{"name": r["name"], "container": r["container"], "width": r["width"], "height": r["height"],
                      "done": r["name"] in done} for r in item.get("plan") or []],
        })
    return shaped
