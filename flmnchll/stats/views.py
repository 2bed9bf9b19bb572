"""Views: one per member, item and day, counted in Redis and recorded in MongoDB for the statistics page."""

from __future__ import annotations

from datetime import UTC, datetime

from flmnchll.stores import db, redis_client

DEDUP_SECONDS = 2 * 86400


def record_view(user_id: str, content_id: str, seconds_played: float) -> bool:
    """Count a view unless this user already has one for this item today; True when counted."""
    now = datetime.now(UTC)
    day = now.strftime("%Y-%m-%d")
    client = redis_client()
    if not client.set(f"viewed:{day}:{user_id}:{content_id}", "1", nx=True, ex=DEDUP_SECONDS):
        return False
    pipe = client.pipeline(transaction=False)
    pipe.incr("views:total")
    pipe.hincrby("views:per-content", content_id, 1)
    pipe.execute()
    db().views.insert_one({"user_id": user_id, "content_id": content_id, "day": day,
                           "seconds_played": round(float(seconds_played), 3), "at": now})
    return True
