"""What each member actually watched in a room, turned into view statistics.

Heartbeats say whether the member's player is playing. Wall time between two consecutive playing heartbeats
counts as watched (capped, so a member who vanished and came back is not credited for the gap). Once a member
has watched a few seconds of an item in a room, one view is recorded; the views module itself counts at most
one view per member, item and day.
"""

from __future__ import annotations

import os

from flmnchll.stats.views import record_view
from flmnchll.stores import redis_client

MAX_CREDIT_SECONDS = 15.0
KEEP_SECONDS = 24 * 3600


def view_after_seconds() -> float:
    return float(os.environ.get("VIEW_AFTER_SECONDS", 5))


def note(room_id: str, user_id: str, content_id: str | None, playing: bool, now_ms: float) -> bool:
    """Record one heartbeat; True when it made a view count."""
    if not content_id:
        return False
    client = redis_client()
    key = f"watched:{room_id}:{user_id}:{content_id}"
    state = client.hgetall(key)
    seconds = float(state.get("seconds", 0))
    if playing and state.get("playing") == "1" and state.get("at"):
        elapsed = (now_ms - float(state["at"])) / 1000
        seconds += max(0.0, min(elapsed, MAX_CREDIT_SECONDS))
    pipe = client.pipeline(transaction=False)
    pipe.hset(key, mapping={"seconds": f"{seconds:.3f}", "playing": "1" if playing else "0", "at": f"{now_ms:.0f}"})
    pipe.expire(key, KEEP_SECONDS)
    pipe.execute()
    if seconds < view_after_seconds() or state.get("counted") == "1":
        return False
    if not client.hsetnx(key, "counted", "1"):
        return False
    record_view(user_id, content_id, seconds)
    return True


def seconds_watched(room_id: str, user_id: str, content_id: str) -> float:
    return float(redis_client().hget(f"watched:{room_id}:{user_id}:{content_id}", "seconds") or 0)
