"""A short per-room Redis lock around read-modify-write of a room document.

FerretDB has no atomic findAndModify, so two concurrent updates of one room (a heartbeat and a seek, say) could
each read the old document and the second write would undo the first. Every change to a room therefore loads,
edits and writes the document while holding this lock; it expires on its own if a process dies holding it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress

from redis.exceptions import LockError

from flmnchll.errors import ServiceUnavailable
from flmnchll.stores import redis_client

LOCK_TIMEOUT_SECONDS = 5.0
WAIT_SECONDS = 4.0


@contextmanager
def room_lock(room_id: str) -> Iterator[None]:
    lock = redis_client().lock(f"room-lock:{room_id}", timeout=LOCK_TIMEOUT_SECONDS, sleep=0.005,
                               blocking_timeout=WAIT_SECONDS)
    if not lock.acquire():
        raise ServiceUnavailable("The room is busy right now. Please try again.", code="room_busy")
    try:
        yield
    finally:
        with suppress(LockError):
            lock.release()
