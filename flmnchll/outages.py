"""Store outages as clear 503s: which exceptions mean "MongoDB or Redis is not reachable", and their answer.

Kept apart from `flmnchll.stores` (the clients, which read the Redis password) so that code that only turns
outages into answers, such as every function's router, holds no store credential.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pymongo.errors
import redis.exceptions

from flmnchll.errors import ServiceUnavailable

MONGO_ERRORS = (pymongo.errors.ConnectionFailure, pymongo.errors.ServerSelectionTimeoutError)
REDIS_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


@contextmanager
def store_errors() -> Iterator[None]:
    """Turn a store outage into a 503 that names the store."""
    try:
        yield
    except MONGO_ERRORS as exc:
        raise ServiceUnavailable(
            "The database is not reachable right now. Please try again in a moment.", code="database_unavailable"
        ) from exc
    except REDIS_ERRORS as exc:
        raise ServiceUnavailable(
            "The session store is not reachable right now. Please try again in a moment.", code="redis_unavailable"
        ) from exc
