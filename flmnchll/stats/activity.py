"""Active users: who made an authenticated call on which UTC day.

Three structures, each for one question, all cheap on the hot path (one SADD per call; the rest only on a
user's first call of the day):
- `dau:DAY` HyperLogLogs: fixed-size estimates, merged for any window (kept as the cheap fallback and for
  comparison);
- `active:DAY` sets: the exact members of a day, for exact daily counts and the 30-day series;
- `active:last-seen` sorted set (user → last active epoch seconds): exact DAU/MAU with one ZCOUNT each.
Exact daily counts are copied into MongoDB `daily_active` ({_id: DAY, users}) by `persist_daily`, so history
outlives the Redis keys.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flmnchll.stores import db, redis_client

KEEP_DAYS = 40
LAST_SEEN_KEY = "active:last-seen"


def _day(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d")


def day_key(day: datetime) -> str:
    return "dau:" + _day(day)


def members_key(day: datetime) -> str:
    return "active:" + _day(day)


def _start_of_day(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def mark_active(user_id: str, now: datetime | None = None) -> None:
    """Count a user as active today; cheap enough to do on every authenticated call."""
    now = now or datetime.now(UTC)
    client = redis_client()
    if not client.sadd(members_key(now), user_id):
        return
    ttl = KEEP_DAYS * 86400
    pipe = client.pipeline(transaction=False)
    pipe.expire(members_key(now), ttl)
    pipe.pfadd(day_key(now), user_id)
    pipe.expire(day_key(now), ttl)
    pipe.zadd(LAST_SEEN_KEY, {user_id: now.timestamp()}, gt=True)
    pipe.execute()


def daily_active(day: datetime | None = None) -> int:
    """Exact number of users active on the UTC day of `day` (today by default)."""
    return int(redis_client().scard(members_key(day or datetime.now(UTC))))


def monthly_active(now: datetime | None = None, days: int = 30) -> int:
    """Exact distinct users over the rolling `days` UTC days ending today."""
    end = now or datetime.now(UTC)
    since = _start_of_day(end) - timedelta(days=days - 1)
    return int(redis_client().zcount(LAST_SEEN_KEY, since.timestamp(), "+inf"))


def estimated_daily_active(day: datetime | None = None) -> int:
    return int(redis_client().pfcount(day_key(day or datetime.now(UTC))))


def estimated_monthly_active(now: datetime | None = None, days: int = 30) -> int:
    """Distinct users over the rolling `days` (HyperLogLogs merged): about 0.8% error, constant memory."""
    end = now or datetime.now(UTC)
    keys = [day_key(end - timedelta(days=i)) for i in range(days)]
    return int(redis_client().pfcount(*keys))


def daily_series(days: int = 30, now: datetime | None = None) -> list[tuple[str, int]]:
    """Exact active users per UTC day, oldest first; days older than Redis keeps come from `daily_active`."""
    end = now or datetime.now(UTC)
    moments = [end - timedelta(days=i) for i in reversed(range(days))]
    pipe = redis_client().pipeline(transaction=False)
    for moment in moments:
        pipe.scard(members_key(moment))
    counts = [int(value) for value in pipe.execute()]
    names = [_day(moment) for moment in moments]
    if days > KEEP_DAYS:
        stored = {doc["_id"]: int(doc.get("users", 0))
                  for doc in db().daily_active.find({"_id": {"$in": names[: days - KEEP_DAYS]}})}
        counts = [stored.get(name, 0) if i < days - KEEP_DAYS else count
                  for i, (name, count) in enumerate(zip(names, counts, strict=True))]
    return list(zip(names, counts, strict=True))


def persist_daily(days: int = 2, now: datetime | None = None) -> int:
    """Copy the exact counts of the last `days` days into MongoDB and forget last-seen entries past the window.

    Run by the every-minute health check, so the stored history is at most a minute behind.
    """
    end = now or datetime.now(UTC)
    written = 0
    for day, count in daily_series(days, end):
        db().daily_active.update_one({"_id": day}, {"$set": {"users": count, "updated_at": end}}, upsert=True)
        written += 1
    cutoff = _start_of_day(end) - timedelta(days=KEEP_DAYS)
    redis_client().zremrangebyscore(LAST_SEEN_KEY, "-inf", cutoff.timestamp())
    return written
