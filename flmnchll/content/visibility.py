"""Which items viewers may watch (and rooms may show): the one rule, as a test of an item and as a query.
Apart from the catalogue so that the room functions can apply it without the media links and storage."""

from __future__ import annotations

from typing import Any


def watchable(item: dict[str, Any]) -> bool:
    """Ready items, and items still processing that already play."""
    return item.get("status") == "ready" or (item.get("status") == "processing" and bool(item.get("playable")))


WATCHABLE = {"$or": [{"status": "ready"}, {"status": "processing", "playable": True}]}
