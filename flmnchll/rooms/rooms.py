"""Rooms in MongoDB: who is in them, what plays, where playback is, and who hosts.

Every change loads the room, edits it and writes it back while holding the room's Redis lock (FerretDB has no
atomic findAndModify). Members whose heartbeats lapse are dropped whenever a room is read or written; a room
expires a while after its last sign of life (TTL index plus a sweep, for stores without TTL support).

Playback is stored as "at server time `updated_at` (epoch ms) the position was `position`, moving at `rate`
when `state` is playing"; answers project it to the moment they are made, so a late joiner lands on the second.
"""

from __future__ import annotations

import os
import re
import secrets
import string
from datetime import UTC, datetime, timedelta
from typing import Any

import pymongo.errors

from flmnchll.auth import Principal
from flmnchll.config import settings
from flmnchll.errors import BadRequest, Conflict, Forbidden, NotFound
from flmnchll.rooms import catalog, peer_tokens, peers, pins, presence, turn, votes, watched
from flmnchll.rooms.clock import now_ms
from flmnchll.rooms.locks import room_lock
from flmnchll.stores import db, redis_client

ID_ALPHABET = string.ascii_lowercase + string.digits
MAX_MEMBERS = 16
#: The removed a room remembers: far more than a room holds, so filling it again takes as many new accounts.
MAX_REMOVED = 200
RECENT_KEEP = 20
COMMAND_SKEW_MS = 10_000
NEXT_LEAD_MS = 2_000
#: "The film ended" counts this close to its end (s): members' reports of the end arrive around it.
END_SLACK_SECONDS = 5.0
RATES = (0.25, 4.0)
PERSIST_EVERY_MS = 300_000


def member_timeout_ms() -> int:
    return int(float(os.environ.get("ROOM_MEMBER_TIMEOUT_SECONDS", 30)) * 1000)


def empty_ttl_seconds() -> int:
    return int(os.environ.get("ROOM_EMPTY_TTL_SECONDS", 3600))


# ---------------------------------------------------------------------------------------------- documents

def _expiry(now: int) -> datetime:
    """A room lives `empty_ttl` past the last moment a member could still be present."""
    return datetime.fromtimestamp(now / 1000, UTC) + timedelta(milliseconds=member_timeout_ms(),
                                                                seconds=empty_ttl_seconds())


def _new_id() -> str:
    return "".join(secrets.choice(ID_ALPHABET) for _ in range(10))


def _peer_prefix(room_id: str, user_id: str) -> str:
    """What every peer id of this user in this room starts with (its peer tokens bind it, so it cannot lie)."""
    user_part = re.sub(r"[^A-Za-z0-9]", "", user_id) or "user"
    return f"{room_id}-{user_part}-"


def _peer_id(room_id: str, user_id: str) -> str:
    return _peer_prefix(room_id, user_id) + secrets.token_hex(4)


def _member(room: dict[str, Any], user_id: str) -> dict[str, Any] | None:
    return next((m for m in room["members"] if m["user_id"] == user_id), None)


def _pass_host(room: dict[str, Any], now: int, *, immediately: bool = False) -> None:
    """Hand hosting to the longest-present member when the host is gone (at once, or after a lapse)."""
    if not room["members"] or _member(room, room["host_id"]) is not None:
        return
    if immediately or now - room.get("host_seen_at", 0) > member_timeout_ms():
        successor = min(room["members"], key=lambda m: m["joined_at"])
        room["host_id"] = successor["user_id"]
        room["host_seen_at"] = now


def _prune(room: dict[str, Any], now: int) -> bool:
    """Drop members whose heartbeats lapsed; True when the room changed."""
    cutoff = now - member_timeout_ms()
    gone = [m for m in room["members"] if m["last_seen"] < cutoff]
    host_before = room["host_id"]
    if gone:
        room["members"] = [m for m in room["members"] if m["last_seen"] >= cutoff]
        for member in gone:
            votes.forget_voter(room, member["user_id"])
    _pass_host(room, now)
    return bool(gone) or room["host_id"] != host_before


def _load(room_id: str) -> dict[str, Any]:
    if not isinstance(room_id, str) or not re.fullmatch(r"[a-z0-9]{4,32}", room_id):
        raise NotFound("No room with that code (it may have expired).", code="room_not_found")
    room = db().rooms.find_one({"_id": room_id})
    if room is None or room["expires_at"] <= datetime.now(UTC):
        raise NotFound("No room with that code (it may have expired).", code="room_not_found")
    presence.merge(room, presence.seen(room_id))
    return room


def _save(room: dict[str, Any], now: int) -> None:
    room["version"] = room.get("version", 0) + 1
    room["updated_at"] = now
    room["expires_at"] = _expiry(max([now] + [m["last_seen"] for m in room["members"]]))
    db().rooms.replace_one({"_id": room["_id"]}, room)


def _now(now: float | None) -> int:
    """Server time in epoch ms: the caller's `now` (tests pass their own clock), else the real one."""
    return int(now_ms() if now is None else now)


def _change(room_id: str, edit: Any, now: float | None = None) -> dict[str, Any]:
    """Load, prune, edit and save a room under its lock; `edit(room, now)` raises to abort."""
    with room_lock(room_id):
        room = _load(room_id)
        now = _now(now)
        _prune(room, now)
        edit(room, now)
        _save(room, now)
        return room


def purge_expired() -> int:
    """Delete rooms past their expiry (the TTL index does this too where the store supports it)."""
    return db().rooms.delete_many({"expires_at": {"$lte": datetime.now(UTC)}}).deleted_count


# ---------------------------------------------------------------------------------------------- views

def projected_playback(playback: dict[str, Any], now: float, duration: float | None = None) -> dict[str, Any]:
    """The playback state as true at `now`: a playing position advanced by the time elapsed since it was set."""
    position = float(playback["position"])
    if playback["state"] == "playing" and now > playback["updated_at"]:
        position += (now - playback["updated_at"]) / 1000 * float(playback["rate"])
    if duration:
        position = min(position, float(duration))
    return {"state": playback["state"], "position": round(position, 3), "updated_at": now,
            "rate": playback["rate"], "changed_at": playback["updated_at"], "changed_by": playback.get("by")}


def public(room: dict[str, Any], now: float | None = None) -> dict[str, Any]:
    """The room as members see it; the PIN hash and server bookkeeping never leave. `peer_server` is where its
    signalling lives now: a member whose PeerJS client is elsewhere (the room moved while its server hung) joins
    again to follow it."""
    now = now if now is not None else now_ms()
    content = room.get("content")
    return {
        "id": room["_id"],
        "name": room["name"],
        "host_id": room["host_id"],
        "owner_id": room["owner_id"],
        "has_pin": bool(room.get("pin_hash")),
        "locked": room["locked"],
        "members": [
            {"user_id": m["user_id"], "username": m["username"], "peer_id": m["peer_id"],
             "last_seen": m["last_seen"], "joined_at": m["joined_at"], "online": True,
             "is_host": m["user_id"] == room["host_id"], "position": m.get("position"), "playing": m.get("playing")}
            for m in room["members"]
        ],
        "content_id": room.get("content_id"),
        "content": content,
        "playback": projected_playback(room["playback"], now, (content or {}).get("duration")),
        "votes": votes.tally(room),
        "version": room.get("version", 0),
        "peer_server": peers.index_of(room["peer_port"]),
        # the members drop their links to these peers and take no new ones (data channels need no server, and a
        # removed member's peer tokens stay valid until they expire)
        "removed_peers": [_peer_prefix(room["_id"], user_id) for user_id in room.get("removed", [])],
        "created_at": room["created_at"],
        "server_time": now,
    }


def _peer_block(room: dict[str, Any], member: dict[str, Any]) -> dict[str, Any]:
    token, exp = peer_tokens.issue(room["_id"], member["peer_id"], member["user_id"])
    return {**peers.public_config(room["peer_port"]), "token": token, "token_expires": exp,
            "peer_id": member["peer_id"]}


# ---------------------------------------------------------------------------------------------- operations

def _check_name(name: Any) -> str:
    clean = " ".join(str(name or "").split())
    if not 1 <= len(clean) <= 80:
        raise BadRequest("The room name must be 1 to 80 characters.", code="invalid_name")
    return clean


def create(user: Principal, name: str, pin: str | None = None, content_id: str | None = None) -> dict[str, Any]:
    """A new room hosted by its creator, assigned to the least-loaded PeerJS server; the creator then joins."""
    clean = _check_name(name)
    pin_hash = pins.hash_pin(pin) if pin else None
    content = catalog.playable(content_id) if content_id else None
    purge_expired()
    port = peers.choose_server()
    now = int(now_ms())
    for _ in range(5):
        room: dict[str, Any] = {
            "_id": _new_id(), "name": clean, "owner_id": user.id, "host_id": user.id, "host_seen_at": now,
            "pin_hash": pin_hash, "locked": False, "members": [],
            "content_id": content["id"] if content else None, "content": content,
            "playback": {"state": "paused", "position": 0.0, "updated_at": now, "rate": 1.0, "by": None},
            "command_at": 0, "votes": [], "peer_port": port, "created_at": now, "updated_at": now,
            "version": 1, "expires_at": _expiry(now),
        }
        try:
            db().rooms.insert_one(room)
        except pymongo.errors.DuplicateKeyError:
            continue
        return {**public(room), "peer": peers.public_config(port)}
    raise Conflict("Could not allocate a room code; please try again.", code="room_id_collision")


def join(user: Principal, room_id: str, pin: str | None, client_ip: str,
         now: float | None = None) -> dict[str, Any]:
    """Enter a room (or refresh one's place and peer token); the PIN is asked of newcomers only."""
    room = _load(room_id)
    _refuse_removed(room, user)
    now = _now(now)
    present = _member(room, user.id)
    is_member = present is not None and present["last_seen"] >= now - member_timeout_ms()
    if room.get("pin_hash") and not is_member and user.id != room["owner_id"]:
        pins.check_pin(room["pin_hash"], pin, room_id=room_id, user_id=user.id, client_ip=client_ip)
    alive = peers.server_is_alive(room["peer_port"], fresh=True)
    new_port = None if alive else peers.choose_server(exclude=room["peer_port"])
    joined: dict[str, Any] = {}

    def edit(doc: dict[str, Any], now: int) -> None:
        _refuse_removed(doc, user)
        if new_port is not None and doc["peer_port"] == room["peer_port"]:
            doc["peer_port"] = new_port
        member = _member(doc, user.id)
        if member is None:
            if len(doc["members"]) >= MAX_MEMBERS:
                raise Conflict("This room is full.", code="room_full")
            member = {"user_id": user.id, "username": user.username, "joined_at": now}
            doc["members"].append(member)
        member.update(peer_id=_peer_id(doc["_id"], user.id), last_seen=now, username=user.username)
        if doc["host_id"] == user.id:
            doc["host_seen_at"] = now
        _pass_host(doc, now)
        joined.update(member)

    doc = _change(room_id, edit, now)
    _remember(user.id, room_id)
    return {**public(doc, now), "peer": _peer_block(doc, joined), "ice_servers": turn.ice_servers(user.id),
            "buffer_wait_s": settings().room_buffer_wait_s}


def state(user: Principal, room_id: str, now: float | None = None) -> dict[str, Any]:
    """The room's current state; persisting drops of lapsed members only when there are some."""
    room = _load(room_id)
    _refuse_removed(room, user)
    now = _now(now)
    if _prune(room, now):
        room = _change(room_id, lambda doc, now: None, now)
    if room.get("pin_hash") and _member(room, user.id) is None and user.id != room["owner_id"]:
        raise Forbidden("This room needs a PIN; join it first.", code="pin_required")
    return public(room, now)


def _require_member(room: dict[str, Any], user: Principal) -> dict[str, Any]:
    _refuse_removed(room, user)
    member = _member(room, user.id)
    if member is None:
        raise Conflict("You are not in this room (any more); join it again.", code="not_a_member")
    return member


def _refuse_removed(room: dict[str, Any], user: Principal) -> None:
    if user.id in room.get("removed", []):
        raise Forbidden("The room's owner removed you from this room.", code="removed")


def _require_host(room: dict[str, Any], user: Principal) -> None:
    _require_member(room, user)
    if room["host_id"] != user.id:
        raise Forbidden("Only the room's host can do that.", code="host_only")


def leave(user: Principal, room_id: str) -> dict[str, Any]:
    def edit(doc: dict[str, Any], now: int) -> None:
        _require_member(doc, user)  # else anyone with the code would read a PIN room's state, and keep it alive
        doc["members"] = [m for m in doc["members"] if m["user_id"] != user.id]
        votes.forget_voter(doc, user.id)
        _pass_host(doc, now, immediately=True)

    room = _change(room_id, edit)
    presence.forget(room_id, user.id)
    return public(room)


def heartbeat(user: Principal, room_id: str, position: float | None = None,
              playing: bool | None = None, now: float | None = None) -> dict[str, Any]:
    """Keep a member present and note their player's position; counts views once enough was watched.

    The heartbeat itself goes to Redis; the room document is rewritten only when someone lapsed, hosting must
    pass on, or it has not been written for a while (so its expiry keeps moving while people watch).
    """
    room = _load(room_id)
    now = _now(now)
    member = _require_member(room, user)
    presence.touch(room_id, user.id, now, position, playing)
    member["last_seen"] = now
    if position is not None:
        member["position"] = round(float(position), 3)
    if playing is not None:
        member["playing"] = bool(playing)
    if _prune(room, now) or now - room["updated_at"] > PERSIST_EVERY_MS:
        room = _change(room_id, lambda doc, now: None, now)
    if playing is not None:
        watched.note(room_id, user.id, room.get("content_id"), bool(playing), now)
    return public(room, now)


def playback(user: Principal, room_id: str, action: str, position: float | None = None,
             rate: float | None = None, at: float | None = None, now: float | None = None) -> dict[str, Any]:
    """Apply play/pause/seek/rate at server time `at` (commands carry a lead so all peers act together).

    A command stamped earlier than the last applied one lost a race and changes nothing (`applied: false`).
    """
    if rate is not None and not RATES[0] <= rate <= RATES[1]:
        raise BadRequest(f"'rate' must be between {RATES[0]} and {RATES[1]}.", code="invalid_rate")
    if action in ("seek",) and position is None:
        raise BadRequest("'position' is required to seek.", code="invalid_request")
    applied = {"value": True}

    def edit(doc: dict[str, Any], now: int) -> None:
        _require_member(doc, user)
        if doc["locked"] and doc["host_id"] != user.id:
            raise Forbidden("The host has locked playback.", code="playback_locked")
        when = float(at) if at is not None and abs(float(at) - now) <= COMMAND_SKEW_MS else float(now)
        if when < doc.get("command_at", 0):
            applied["value"] = False
            return
        current = projected_playback(doc["playback"], when)
        duration = (doc.get("content") or {}).get("duration")
        new_position = current["position"] if position is None else max(0.0, float(position))
        if duration:
            new_position = min(new_position, float(duration))
        new = {"state": doc["playback"]["state"], "position": round(new_position, 3), "updated_at": when,
               "rate": doc["playback"]["rate"], "by": user.id}
        if action == "play":
            new["state"] = "playing"
        elif action == "pause":
            new["state"] = "paused"
        elif action == "rate":
            if rate is None:
                raise BadRequest("'rate' is required for the rate action.", code="invalid_request")
            new["rate"] = float(rate)
        if rate is not None:
            new["rate"] = float(rate)
        doc["playback"] = new
        doc["command_at"] = when

    now = _now(now)
    result = public(_change(room_id, edit, now), now)
    result["applied"] = applied["value"]
    return result


def _start(doc: dict[str, Any], item: dict[str, Any], now: int, user_id: str, *, autoplay: bool) -> None:
    doc["content_id"], doc["content"] = item["id"], item
    votes.remove(doc, item["id"])
    start = now + NEXT_LEAD_MS if autoplay else now
    doc["playback"] = {"state": "playing" if autoplay else "paused", "position": 0.0, "updated_at": start,
                       "rate": 1.0, "by": user_id}
    doc["command_at"] = 0


def propose(user: Principal, room_id: str, content_id: str) -> dict[str, Any]:
    item = catalog.playable(content_id)

    def edit(doc: dict[str, Any], now: int) -> None:
        _require_member(doc, user)
        votes.propose(doc, user.id, item, now)

    return public(_change(room_id, edit))


def vote(user: Principal, room_id: str, content_id: str, remove: bool = False) -> dict[str, Any]:
    def edit(doc: dict[str, Any], now: int) -> None:
        _require_member(doc, user)
        votes.vote(doc, user.id, content_id, remove=remove)

    return public(_change(room_id, edit))


def play_next(user: Principal, room_id: str, ended: str | None = None) -> dict[str, Any]:
    """Start the vote winner: the host at any time, or any member reporting that the current item ended.

    Several members report the same end; only the first report for the item still playing changes anything.
    A report counts only once the room's timeline is at the end (else any member could skip the film), and in a
    locked room only the host's.
    """
    def edit(doc: dict[str, Any], now: int) -> None:
        _require_member(doc, user)
        if ended is None:
            _require_host(doc, user)
        elif ended != doc.get("content_id"):
            return
        else:
            if doc["locked"] and doc["host_id"] != user.id:
                raise Forbidden("The host has locked playback.", code="playback_locked")
            duration = (doc.get("content") or {}).get("duration")
            if not duration:
                raise Conflict("This film's length is not known, so its end cannot be told; the host can start the "
                               "next one.", code="not_ended")
            position = projected_playback(doc["playback"], now, duration)["position"]
            if position < float(duration) - END_SLACK_SECONDS:
                raise Conflict(f"The film has not ended: the room is at {position:.0f} s of {float(duration):.0f}.",
                               code="not_ended")
        top = votes.winner(doc)
        if top is None:
            if ended is None:
                raise Conflict("Nothing has been proposed yet.", code="no_proposals")
            at_end = projected_playback(doc["playback"], now, (doc.get("content") or {}).get("duration"))
            doc["playback"] = {"state": "paused", "position": at_end["position"], "updated_at": now,
                               "rate": at_end["rate"], "by": user.id}
            return
        item = catalog.public_item(top["content_id"]) or {"id": top["content_id"], "title": top["title"]}
        _start(doc, item, now, user.id, autoplay=True)

    return public(_change(room_id, edit))


def set_content(user: Principal, room_id: str, content_id: str) -> dict[str, Any]:
    """The host's override: play this item now (paused at the start), whatever the votes say."""
    item = catalog.playable(content_id)

    def edit(doc: dict[str, Any], now: int) -> None:
        _require_host(doc, user)
        _start(doc, item, now, user.id, autoplay=False)

    return public(_change(room_id, edit))


def set_host(user: Principal, room_id: str, new_host: str) -> dict[str, Any]:
    def edit(doc: dict[str, Any], now: int) -> None:
        _require_host(doc, user)
        if _member(doc, new_host) is None:
            raise NotFound("That person is not in the room.", code="member_not_found")
        doc["host_id"], doc["host_seen_at"] = new_host, now

    return public(_change(room_id, edit))


def remove_member(user: Principal, room_id: str, member_id: str) -> dict[str, Any]:
    """The room's owner removes someone for the room's life: a room without a PIN can otherwise be filled by
    strangers until nobody else gets in. Only the owner: hosting passes to whoever has been in longest when the
    host leaves, and a stranger holding it must not be able to shut the room's members out for good."""
    def edit(doc: dict[str, Any], now: int) -> None:
        _require_member(doc, user)
        if doc["owner_id"] != user.id:
            raise Forbidden("Only the room's owner can remove people from it.", code="owner_only")
        if member_id == user.id:
            raise BadRequest("You cannot remove yourself; leave the room instead.", code="remove_self")
        if _member(doc, member_id) is None:
            raise NotFound("That person is not in the room.", code="member_not_found")
        doc["members"] = [m for m in doc["members"] if m["user_id"] != member_id]
        votes.forget_voter(doc, member_id)
        removed = doc.setdefault("removed", [])
        if member_id not in removed:
            removed.append(member_id)
        del removed[:-MAX_REMOVED]

    room = _change(room_id, edit)
    presence.forget(room_id, member_id)
    return public(room)


def set_locked(user: Principal, room_id: str, locked: bool) -> dict[str, Any]:
    def edit(doc: dict[str, Any], now: int) -> None:
        _require_host(doc, user)
        doc["locked"] = bool(locked)

    return public(_change(room_id, edit))


# ---------------------------------------------------------------------------------------------- recent rooms

def _remember(user_id: str, room_id: str) -> None:
    key = f"recent-rooms:{user_id}"
    pipe = redis_client().pipeline(transaction=False)
    pipe.zadd(key, {room_id: now_ms()})
    pipe.zremrangebyrank(key, 0, -RECENT_KEEP - 1)
    pipe.expire(key, 30 * 86400)
    pipe.execute()


def mine(user: Principal) -> dict[str, Any]:
    """Rooms the user joined lately that still exist, newest first."""
    recent = redis_client().zrevrange(f"recent-rooms:{user.id}", 0, RECENT_KEEP - 1, withscores=True)
    if not recent:
        return {"items": []}
    found = {r["_id"]: r for r in db().rooms.find({"_id": {"$in": [rid for rid, _ in recent]},
                                                   "expires_at": {"$gt": datetime.now(UTC)}})}
    for room_id, room in found.items():
        presence.merge(room, presence.seen(room_id))
    cutoff = now_ms() - member_timeout_ms()
    items = []
    for room_id, joined in recent:
        room = found.get(room_id)
        if room is None:
            continue
        items.append({"id": room_id, "name": room["name"], "has_pin": bool(room.get("pin_hash")),
                      "content_title": (room.get("content") or {}).get("title"), "last_joined": int(joined),
                      "members": sum(1 for m in room["members"] if m["last_seen"] >= cutoff),
                      "is_host": room["host_id"] == user.id})
    return {"items": items}
