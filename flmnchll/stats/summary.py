"""The statistics document admins read: usage counters, active users, a 30-day series and service status.

Everything here is a read of precomputed values (Redis counters and sets, the latest probe run), plus one
small query for item titles that is cached briefly: the document costs the same with 100 or 100k views.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Any

from bson import ObjectId

from flmnchll.stats import activity, uptime, users, views
from flmnchll.stores import db

SERIES_DAYS = 30
TOP_N = 10
TITLE_TTL_SECONDS = 30.0

_titles: dict[str, tuple[float, str]] = {}
_titles_lock = threading.Lock()


def _fetch_titles(content_ids: list[str]) -> dict[str, str]:
    keys: list[Any] = list(content_ids)
    keys += [ObjectId(content_id) for content_id in content_ids if ObjectId.is_valid(content_id)]
    found = {str(doc["_id"]): str(doc.get("title") or "Untitled")
             for doc in db().content.find({"_id": {"$in": keys}}, {"title": 1})}
    return {content_id: found.get(content_id, "(deleted)") for content_id in content_ids}


def titles(content_ids: list[str]) -> dict[str, str]:
    """Item titles, cached for a few seconds per process: a rename shows within `TITLE_TTL_SECONDS`."""
    now = time.monotonic()
    with _titles_lock:
        fresh = {cid: entry[1] for cid in content_ids if (entry := _titles.get(cid)) and entry[0] > now}
    missing = [cid for cid in content_ids if cid not in fresh]
    if missing:
        fetched = _fetch_titles(missing)
        with _titles_lock:
            for cid, title in fetched.items():
                _titles[cid] = (now + TITLE_TTL_SECONDS, title)
        fresh.update(fetched)
    return fresh


def views_per_video(limit: int | None = None) -> list[dict[str, Any]]:
    """Viewed items by views, most viewed first (ties by id, for a stable order)."""
    counts = sorted(views.views_by_content().items(), key=lambda item: (-item[1], item[0]))
    if limit is not None:
        counts = counts[:limit]
    names = titles([content_id for content_id, _ in counts])
    return [{"content_id": cid, "title": names[cid], "views": count} for cid, count in counts]


def series(days: int = SERIES_DAYS, now: datetime | None = None) -> dict[str, list[Any]]:
    """Columns over the last `days` UTC days, oldest first: `dates`, `views`, exact `active_users`."""
    now = now or datetime.now(UTC)
    viewed = views.views_by_day(days, now)
    active = activity.daily_series(days, now)
    return {"dates": [day for day, _ in viewed], "views": [count for _, count in viewed],
            "active_users": [users for _, users in active]}


def build(limit: int | None = None, now: datetime | None = None) -> dict[str, Any]:
    """The `stats` document (CONTRACT shape plus `series`, `top_videos`, uptime windows and `checked_at`)."""
    now = now or datetime.now(UTC)
    per_video = views_per_video(limit)
    services = uptime.services(now)
    return {
        "total_views": views.total_views(),
        "views_per_video": per_video,
        "top_videos": per_video[:TOP_N],
        "dau": activity.daily_active(now),
        "mau": activity.monthly_active(now),
        "estimates": {"dau": activity.estimated_daily_active(now), "mau": activity.estimated_monthly_active(now)},
        "total_users": users.total_users(),
        "services": services,
        "series": series(SERIES_DAYS, now),
        "checked_at": max((service["last_check"] for service in services), default=None),
        "generated_at": now.isoformat(),
    }
