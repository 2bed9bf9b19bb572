"""Choosing what to watch next by vote, as pure edits of a room document (the caller holds the room lock).

Members propose library items; proposing counts as the proposer's vote. Each member has at most one vote per
item (voters are a set, so a repeated vote changes nothing). The tally orders by votes, then by who proposed
first, so ties go to the older proposal; its head is the winner that plays next.
"""

from __future__ import annotations

from typing import Any

from flmnchll.errors import Conflict, NotFound

MAX_PROPOSALS = 50


def _entries(room: dict[str, Any]) -> list[dict[str, Any]]:
    return room.setdefault("votes", [])


def _find(room: dict[str, Any], content_id: str) -> dict[str, Any] | None:
    return next((e for e in _entries(room) if e["content_id"] == content_id), None)


def propose(room: dict[str, Any], user_id: str, item: dict[str, Any], now_ms: int) -> dict[str, Any]:
    """Add a library item to the queue (or vote for it when already proposed)."""
    if item["id"] == room.get("content_id"):
        raise Conflict("That item is already playing.", code="already_playing")
    entry = _find(room, item["id"])
    if entry is None:
        if len(_entries(room)) >= MAX_PROPOSALS:
            raise Conflict("The queue is full; vote for an item already proposed.", code="queue_full")
        entry = {"content_id": item["id"], "title": item.get("title", ""), "proposed_by": user_id,
                 "proposed_at": now_ms, "voters": []}
        _entries(room).append(entry)
    if user_id not in entry["voters"]:
        entry["voters"].append(user_id)
    return entry


def vote(room: dict[str, Any], user_id: str, content_id: str, *, remove: bool = False) -> dict[str, Any]:
    """Cast (or take back) a member's single vote for a proposed item."""
    entry = _find(room, content_id)
    if entry is None:
        raise NotFound("That item has not been proposed in this room.", code="not_proposed")
    if remove:
        if user_id in entry["voters"]:
            entry["voters"].remove(user_id)
    elif user_id not in entry["voters"]:
        entry["voters"].append(user_id)
    return entry


def forget_voter(room: dict[str, Any], user_id: str) -> None:
    """A member who leaves takes their votes along; proposals without votes stay until played or replaced."""
    for entry in _entries(room):
        if user_id in entry["voters"]:
            entry["voters"].remove(user_id)


def tally(room: dict[str, Any]) -> list[dict[str, Any]]:
    """The queue as shown: `{content_id, title, votes, voters, proposed_by}`, winner first."""
    ordered = sorted(_entries(room), key=lambda e: (-len(e["voters"]), e["proposed_at"]))
    return [{"content_id": e["content_id"], "title": e["title"], "votes": len(e["voters"]),
             "voters": list(e["voters"]), "proposed_by": e.get("proposed_by")} for e in ordered]


def winner(room: dict[str, Any]) -> dict[str, Any] | None:
    ranked = tally(room)
    return ranked[0] if ranked else None


def remove(room: dict[str, Any], content_id: str) -> None:
    room["votes"] = [e for e in _entries(room) if e["content_id"] != content_id]
