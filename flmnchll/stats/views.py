"""Views: one per viewer, item and day, counted in Redis for fast reads and recorded in MongoDB to last.

Callers (room heartbeats, solo progress) decide when an item was actually played for a few seconds; this
module only makes sure a view is counted once per user, item and UTC day. The Redis guard key is the fast
check; the unique index on the `views` records is the durable one, so a Redis restart cannot double count.
Counters are what the statistics page reads: it never scans the records.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pymongo
import pymongo.errors

from flmnchll.stores import db, redis_client

DEDUP_SECONDS = 2 * 86400
DAILY_KEEP_SECONDS = 400 * 86400
TOTAL_KEY = "views:total"
PER_CONTENT_KEY = "views:per-content"
REBUILD_TIMEOUT_SECONDS = 600


def daily_key(day: str) -> str:
    return f"views:day:{day}"


def day_of(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d")


def _count(content_id: str, day: str, step: int) -> None:
    pipe = redis_client().pipeline(transaction=False)
    pipe.incrby(TOTAL_KEY, step)
    pipe.hincrby(PER_CONTENT_KEY, content_id, step)
    pipe.incrby(daily_key(day), step)
    pipe.expire(daily_key(day), DAILY_KEEP_SECONDS)
    pipe.execute()


def record_view(user_id: str, content_id: str, seconds_played: float, now: datetime | None = None) -> bool:
    """Count a view unless this user already has one for this item today; True when counted."""
    now = now or datetime.now(UTC)
    day = day_of(now)
    content_id = str(content_id)
    client = redis_client()
    guard = f"viewed:{day}:{user_id}:{content_id}"
    if not client.set(guard, "1", nx=True, ex=DEDUP_SECONDS):
        return False
    _count(content_id, day, 1)
    try:
        db().views.insert_one({"user_id": user_id, "content_id": content_id, "day": day,
                               "seconds_played": round(float(seconds_played), 3), "at": now})
    except pymongo.errors.DuplicateKeyError:
        _count(content_id, day, -1)  # already recorded before Redis lost its guard
        return False
    except Exception:
        _count(content_id, day, -1)
        client.delete(guard)
        raise
    return True


def total_views() -> int:
    return int(redis_client().get(TOTAL_KEY) or 0)


def views_by_content() -> dict[str, int]:
    """Every viewed item's view count."""
    return {key: int(value) for key, value in redis_client().hgetall(PER_CONTENT_KEY).items() if int(value) > 0}


def views_by_day(days: int = 30, now: datetime | None = None) -> list[tuple[str, int]]:
    """Views per UTC day, oldest first, ending today."""
    end = now or datetime.now(UTC)
    names = [day_of(end - timedelta(days=i)) for i in reversed(range(days))]
    values = redis_client().mget([daily_key(day) for day in names])
    return [(day, int(value or 0)) for day, value in zip(names, values, strict=True)]


def rebuild_counters() -> int:
    """Recompute the Redis counters from the durable records (after losing Redis); returns the total.

    One `$sum` per `$group`: FerretDB 1.x returns wrong values for a second accumulator in the same stage.
    A full scan is slow on a large history, hence the generous time limit (this is a repair, not a read path).
    """
    views = db().views
    with pymongo.timeout(REBUILD_TIMEOUT_SECONDS):
        per_content: dict[str | bytes, int] = {str(row["_id"]): int(row["n"])
                       for row in views.aggregate([{"$group": {"_id": "$content_id", "n": {"$sum": 1}}}])}
        per_day = {str(row["_id"]): int(row["n"])
                   for row in views.aggregate([{"$group": {"_id": "$day", "n": {"$sum": 1}}}])}
    total = sum(per_content.values())
    pipe = redis_client().pipeline(transaction=True)
    pipe.delete(PER_CONTENT_KEY)
    if per_content:
        pipe.hset(PER_CONTENT_KEY, mapping=per_content)
    for day, count in per_day.items():
        pipe.set(daily_key(day), count, ex=DAILY_KEEP_SECONDS)
    pipe.set(TOTAL_KEY, total)
    pipe.execute()
    return total
