"""The number of accounts, kept in Redis so the statistics page never counts the `users` collection.

Counting documents scans the collection on FerretDB (about a second at 10k users), so the count is a Redis
value: set from a full count when missing, moved by `user_added`/`user_removed` when accounts change, and
recounted by the every-minute health-check run so any drift lasts at most a minute.
"""

from __future__ import annotations

from flmnchll.stores import db, redis_client

KEY = "stats:users-total"


def reconcile() -> int:
    """Count the accounts and store the result; the slow path, for the scheduled run."""
    count = int(db().users.count_documents({}))
    redis_client().set(KEY, count)
    return count


def total_users() -> int:
    value = redis_client().get(KEY)
    return int(value) if value is not None else reconcile()


def user_added() -> None:
    """Call after an account is created (a no-op until the first count exists)."""
    _move(1)


def user_removed() -> None:
    """Call after an account is deleted."""
    _move(-1)


def _move(step: int) -> None:
    client = redis_client()
    if client.exists(KEY):
        client.incrby(KEY, step)
