"""Job progress in Redis: workers write each stage's percent often; the catalog reads it when listing.

Progress is ephemeral and written about once a second per running job, so it stays out of MongoDB. One hash
per item and generation (`content-progress:ID:GEN`, field = stage) expires a day after the last write.
"""

from __future__ import annotations

from typing import Any

from flmnchll.stores import redis_client

TTL_SECONDS = 24 * 3600


def key(content_id: str, generation: int) -> str:
    return f"content-progress:{content_id}:{generation}"


def report(content_id: str, generation: int, stage: str, percent: float) -> None:
    name = key(content_id, generation)
    pipe = redis_client().pipeline(transaction=False)
    pipe.hset(name, stage, f"{max(0.0, min(100.0, percent)):.1f}")
    pipe.expire(name, TTL_SECONDS)
    pipe.execute()


def stages(content_id: str, generation: int) -> dict[str, float]:
    raw = redis_client().hgetall(key(content_id, generation))
    result = {}
    for stage, value in raw.items():
        try:
            result[stage] = float(value)
        except ValueError:
            continue
    return result


def entry_done(item: dict[str, Any], entry: dict[str, Any]) -> bool:
    """A planned rendition is done when its stream has ended and, if one is planned, its progressive file is
    recorded (plans made before streams existed name only the file)."""
    if entry.get("stream") and not any(s["name"] == entry["stream"] and s.get("complete")
                                       for s in item.get("streams") or []):
        return False
    if entry.get("progressive", True):
        return any(r["name"] == entry["name"] for r in item.get("renditions") or [])
    return True


def overall_progress(item: dict[str, Any]) -> int:
    """0-100 over the planned renditions, each weighted by its encoding cost; finished ones count fully."""
    plan = item.get("plan") or []
    if item.get("status") == "ready":
        return 100
    if not plan:
        return 0
    running = stages(item["_id"], int(item.get("generation") or 1))
    total = weighted = 0.0
    for entry in plan:
        weight = float(entry.get("weight") or 1.0)
        total += weight
        percent = 100.0 if entry_done(item, entry) else running.get(entry.get("stage", ""), 0.0)
        weighted += weight * percent
    return int(weighted / total) if total else 0
