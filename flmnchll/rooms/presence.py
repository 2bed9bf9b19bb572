"""Members' heartbeats kept in Redis, so the frequent "still here" calls cost no database write.

Each room has a hash user id → {"t": last seen epoch ms, "pos": position, "playing": bool}. The room document
in MongoDB stays the record of who is a member; its `last_seen` values are refreshed from here whenever the
room is written anyway, and reads merge the two, taking the later time.
"""

from __future__ import annotations

import json
from typing import Any

from flmnchll.stores import redis_client

KEEP_SECONDS = 6 * 3600


def _key(room_id: str) -> str:
    return f"room-presence:{room_id}"


def touch(room_id: str, user_id: str, now: int, position: float | None, playing: bool | None) -> None:
    entry: dict[str, Any] = {"t": now}
    if position is not None:
        entry["pos"] = round(float(position), 3)
    if playing is not None:
        entry["playing"] = bool(playing)
    pipe = redis_client().pipeline(transaction=False)
    pipe.hset(_key(room_id), user_id, json.dumps(entry))
    pipe.expire(_key(room_id), KEEP_SECONDS)
    pipe.execute()


def forget(room_id: str, user_id: str) -> None:
    redis_client().hdel(_key(room_id), user_id)


def seen(room_id: str) -> dict[str, dict[str, Any]]:
    return {user: json.loads(raw) for user, raw in redis_client().hgetall(_key(room_id)).items()}


def merge(room: dict[str, Any], entries: dict[str, dict[str, Any]]) -> None:
    """Fold heartbeats into the document's members (later times win; position and playing follow them)."""
    for member in room["members"]:
        entry = entries.get(member["user_id"])
        if entry and entry["t"] > member["last_seen"]:
            member["last_seen"] = entry["t"]
            if "pos" in entry:
                member["position"] = entry["pos"]
            if "playing" in entry:
                member["playing"] = entry["playing"]
