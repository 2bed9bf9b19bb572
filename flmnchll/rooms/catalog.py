"""Library items as rooms show them: looked up in the `content` collection the content service owns."""

from __future__ import annotations

from typing import Any

from bson import ObjectId
from bson.errors import InvalidId

from flmnchll.content.visibility import watchable
from flmnchll.errors import Conflict, NotFound
from flmnchll.stores import db

PUBLIC_FIELDS = ("title", "description", "duration", "status", "thumbnail", "renditions", "subtitles", "preview")


def _lookup(content_id: str) -> dict[str, Any] | None:
    item = db().content.find_one({"_id": content_id})
    if item is None:
        try:
            item = db().content.find_one({"_id": ObjectId(content_id)})
        except (InvalidId, TypeError):
            return None
    return item


def summary(item: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"id": str(item["_id"])}
    for name in PUBLIC_FIELDS:
        if name in item:
            out[name] = item[name]
    out.setdefault("title", "Untitled")
    return out


def public_item(content_id: str) -> dict[str, Any] | None:
    """The item's public fields as stored (the browser fetches signed media links from `list-content/ID`)."""
    item = _lookup(content_id)
    return summary(item) if item is not None else None


def playable(content_id: str) -> dict[str, Any]:
    """An item a room can watch: ready, or still being encoded but already playing (as viewers see it); else a
    clear 404/409."""
    item = _lookup(content_id)
    if item is None:
        raise NotFound("No such item in the library.", code="content_not_found")
    if not watchable({"status": "ready", **item}):
        raise Conflict("That item is still being processed.", code="content_not_ready")
    return summary(item)
