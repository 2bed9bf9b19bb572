"""Watching alone: where each viewer is in each item (to resume), and the view that a few seconds of play earn.

The player reports its position and how many seconds it actually played since its last report. Positions
live in MongoDB (one document per viewer and item, `_id` = "USER:CONTENT", so an upsert cannot duplicate).
Played seconds accumulate in Redis for the day; once they pass `VIEW_AFTER_SECONDS`, the statistics module
records the view (it counts at most one per viewer, item and day).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

from flmnchll.stats.views import record_view
from flmnchll.stores import db, redis_client

MAX_CREDIT_PER_REPORT = 60.0
KEEP_SECONDS = 2 * 86400

def view_after_seconds() -> float:
    return float(os.environ.get("VIEW_AFTER_SECONDS", 5))


def save_progress(user_id: str, item: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """Remember the position and credit played time; returns the stored progress and whether a view counted."""
    content_id = str(item["_id"])
    duration = float(body.get("duration") or item.get("duration") or 0)
    position = float(body["position"])
    if duration:
        position = min(position, duration)
    now = datetime.now(UTC)
    record = {"_id": f"{user_id}:{content_id}", "user_id": user_id, "content_id": content_id,
              "position": round(position, 3), "duration": round(duration, 3) if duration else None,
              "updated_at": now}
    db().progress.replace_one({"_id": record["_id"]}, record, upsert=True)
    played = min(float(body.get("playing_seconds") or 0), MAX_CREDIT_PER_REPORT)
    counted = False
    if played > 0:
        key = f"solo-watched:{now.strftime('%Y-%m-%d')}:{user_id}:{content_id}"
        client = redis_client()
        total = float(client.incrbyfloat(key, played))
        client.expire(key, KEEP_SECONDS)
        if total >= view_after_seconds() and total - played < view_after_seconds():
            counted = record_view(user_id, content_id, total, now)
    return {"content_id": content_id, "position": record["position"], "duration": record["duration"],
            "updated_at": now.isoformat().replace("+00:00", "Z"), "view_counted": counted}


def my_progress(user_id: str, limit: int = 200) -> list[dict[str, Any]]:
    cursor = db().progress.find({"user_id": user_id}).sort("updated_at", -1).limit(limit)
    return [{"content_id": d["content_id"], "position": d.get("position", 0), "duration": d.get("duration"),
             "updated_at": _iso(d.get("updated_at"))} for d in cursor]


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat().replace("+00:00", "Z")


def forget_item(content_id: str) -> None:
    db().progress.delete_many({"content_id": content_id})
