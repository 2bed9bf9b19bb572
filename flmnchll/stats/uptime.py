"""Up/down history of the components and their uptime over 24 hours and 30 days.

Every probe run is kept in MongoDB `health` (one document per run, with timestamps) for the record. For fast
reads Redis keeps a status per component and minute, and per-hour and per-day counters of minutes probed and
minutes up; a minute counts as up only if every probe in it saw the component up, so a stop and restart
within one minute still shows. Uptime over 24 h sums 24 hourly buckets, over 30 days 30 daily buckets: a
bounded number of small reads whatever the history length.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from flmnchll.stats.health import Result
from flmnchll.stores import db, redis_client

LAST_KEY = "health:last"
KEEP_RECORDS_DAYS = 90
MINUTE_TTL = 2 * 3600
HOUR_TTL = 26 * 3600
DAY_TTL = 32 * 86400

# KEYS: minute hash, hour hash, day hash. ARGV: minute ttl, hour ttl, day ttl, then name, 1|0 pairs.
_RECORD_SCRIPT = """
local minute, hour, day = KEYS[1], KEYS[2], KEYS[3]
for i = 4, #ARGV, 2 do
  local name, new = ARGV[i], ARGV[i + 1]
  local old = redis.call('HGET', minute, name)
  if not old then
    redis.call('HSET', minute, name, new)
    redis.call('HINCRBY', hour, name .. ':total', 1)
    redis.call('HINCRBY', day, name .. ':total', 1)
    if new == '1' then
      redis.call('HINCRBY', hour, name .. ':up', 1)
      redis.call('HINCRBY', day, name .. ':up', 1)
    end
  elseif old == '1' and new == '0' then
    redis.call('HSET', minute, name, '0')
    redis.call('HINCRBY', hour, name .. ':up', -1)
    redis.call('HINCRBY', day, name .. ':up', -1)
  end
end
redis.call('EXPIRE', minute, ARGV[1])
redis.call('EXPIRE', hour, ARGV[2])
redis.call('EXPIRE', day, ARGV[3])
return 1
"""


def minute_key(moment: datetime) -> str:
    return "health:minute:" + moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


def hour_key(moment: datetime) -> str:
    return "health:hour:" + moment.astimezone(UTC).strftime("%Y-%m-%dT%H")


def day_key(moment: datetime) -> str:
    return "health:day:" + moment.astimezone(UTC).strftime("%Y-%m-%d")


def record(results: Iterable[Result], now: datetime | None = None) -> None:
    """Store one probe run: the durable record, the per-minute status, the counters and the latest state."""
    now = now or datetime.now(UTC)
    results = list(results)
    if not results:
        return
    client = redis_client()
    args: list[Any] = [MINUTE_TTL, HOUR_TTL, DAY_TTL]
    for result in results:
        args += [result.name, "1" if result.up else "0"]
    client.eval(_RECORD_SCRIPT, 3, minute_key(now), hour_key(now), day_key(now), *args)
    previous = client.hgetall(LAST_KEY)
    latest: dict[str | bytes, str] = {}
    for result in results:
        changed = now.isoformat()
        old = (previous.get(result.name) or "").split("|", 3)
        if len(old) >= 3 and old[0] == result.status:
            changed = old[2]
        latest[result.name] = "|".join([result.status, now.isoformat(), changed, result.detail.replace("|", "/")])
    client.hset(LAST_KEY, mapping=latest)
    _forget_removed_functions(previous, results)
    database = db()
    database.health.insert_one({"at": now, "components": [result.public() for result in results],
                                "down": [result.name for result in results if not result.up]})
    database.health.delete_many({"at": {"$lt": now - timedelta(days=KEEP_RECORDS_DAYS)}})


def _forget_removed_functions(previous: dict[str, str], results: list[Result]) -> None:
    """Functions no longer deployed leave the status list (only when this run could list functions)."""
    listed = {result.name for result in results if result.name.startswith("function/")}
    if not listed:
        return
    gone = [name for name in previous
            if (name.startswith("function/") and name not in listed) or name == "functions"]
    if gone:
        redis_client().hdel(LAST_KEY, *gone)


def _percent(buckets: list[dict[str, str]], name: str) -> float | None:
    total = sum(int(bucket.get(name + ":total", 0)) for bucket in buckets)
    if total == 0:
        return None
    up = sum(int(bucket.get(name + ":up", 0)) for bucket in buckets)
    return round(100.0 * up / total, 3)


def services(now: datetime | None = None) -> list[dict[str, Any]]:
    """Each known component's latest status, when it was checked and changed, and its uptime percentages."""
    now = now or datetime.now(UTC)
    client = redis_client()
    pipe = client.pipeline(transaction=False)
    pipe.hgetall(LAST_KEY)
    for hours in range(24):
        pipe.hgetall(hour_key(now - timedelta(hours=hours)))
    for days in range(30):
        pipe.hgetall(day_key(now - timedelta(days=days)))
    answers = pipe.execute()
    latest, hourly, daily = answers[0], answers[1:25], answers[25:]
    out = []
    for name in sorted(latest):
        status, checked, changed, detail = (latest[name].split("|", 3) + ["", "", ""])[:4]
        day_percent = _percent(hourly, name)
        out.append({
            "name": name,
            "status": status,
            "uptime_percent": day_percent,
            "uptime_24h": day_percent,
            "uptime_30d": _percent(daily, name),
            "last_check": checked,
            "last_change": changed,
            "detail": detail,
        })
    return out


def last_checked() -> str | None:
    """When the latest probe run happened (ISO 8601), or None before the first."""
    latest = redis_client().hvals(LAST_KEY)
    stamps = [value.split("|", 2)[1] for value in latest if value.count("|") >= 2]
    return max(stamps) if stamps else None
