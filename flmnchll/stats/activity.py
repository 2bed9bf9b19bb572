"""Daily and monthly active users, counted with one Redis HyperLogLog per day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flmnchll.stores import redis_client

KEEP_DAYS = 40


def day_key(day: datetime) -> str:
    return "dau:" + day.strftime("%Y-%m-%d")


def mark_active(user_id: str, now: datetime | None = None) -> None:
    """Count a user as active today; cheap enough to do on every authenticated call."""
    key = day_key(now or datetime.now(UTC))
    pipe = redis_client().pipeline(transaction=False)
    pipe.pfadd(key, user_id)
    pipe.expire(key, KEEP_DAYS * 86400)
    pipe.execute()


def daily_active(day: datetime | None = None) -> int:
    return int(redis_client().pfcount(day_key(day or datetime.now(UTC))))


def monthly_active(now: datetime | None = None, days: int = 30) -> int:
    """Distinct users over the rolling `days` ending today (HyperLogLogs merged)."""
    end = now or datetime.now(UTC)
    keys = [day_key(end - timedelta(days=i)) for i in range(days)]
    return int(redis_client().pfcount(*keys))
