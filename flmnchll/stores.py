"""MongoDB and Redis clients, opened once per process from configuration.

Timeouts are short on purpose: a store that is down must turn into a clear 503 within a couple of seconds,
never a hung request. The same code runs against FerretDB locally and MongoDB in production.
"""

from __future__ import annotations

import threading
from urllib.parse import urlparse

import pymongo
import redis
from pymongo.database import Database

from flmnchll.config import MissingSecret, read_secret, settings
from flmnchll.indexes import ensure_indexes
from flmnchll.outages import REDIS_ERRORS as REDIS_ERRORS  # re-exported: flmnchll.ratelimit imports it from here
from flmnchll.outages import store_errors

_lock = threading.Lock()
_mongo: pymongo.MongoClient | None = None
_redis: redis.Redis | None = None
_rq_redis: redis.Redis | None = None
_indexes_ready = False


def mongo_client() -> pymongo.MongoClient:
    global _mongo
    if _mongo is None:
        with _lock:
            if _mongo is None:
                _mongo = pymongo.MongoClient(
                    settings().mongodb_uri,
                    serverSelectionTimeoutMS=2500,
                    connectTimeoutMS=2500,
                    socketTimeoutMS=5000,
                    maxPoolSize=20,
                    tz_aware=True,
                )
    return _mongo


def db() -> Database:
    """The application database, with every index of `flmnchll.indexes` ensured at the first use in a process."""
    global _indexes_ready
    database = mongo_client()[settings().database_name]
    if not _indexes_ready:
        with store_errors():
            ensure_indexes(database)
        _indexes_ready = True
    return database


def _open_redis(decode_responses: bool) -> redis.Redis:
    url = settings().redis_url
    password = None
    if not urlparse(url).password:
        try:
            password = read_secret("redis-password", "REDIS_PASSWORD")
        except MissingSecret:
            password = None
    return redis.Redis.from_url(  # type: ignore[call-overload]  # the stubs take decode_responses as a literal only
        url,
        password=password,
        socket_timeout=2.5,
        socket_connect_timeout=2.5,
        health_check_interval=30,
        decode_responses=decode_responses,
        max_connections=50,
    )


def redis_client() -> redis.Redis:
    """The application's Redis client (strings in, strings out)."""
    global _redis
    if _redis is None:
        with _lock:
            if _redis is None:
                _redis = _open_redis(decode_responses=True)
    return _redis


def rq_connection() -> redis.Redis:
    """A client of the same Redis for RQ, which stores pickled bytes and so must not decode responses.

    No socket timeout: a worker blocks on its queues for longer than any request would wait.
    """
    global _rq_redis
    if _rq_redis is None:
        with _lock:
            if _rq_redis is None:
                client = _open_redis(decode_responses=False)
                client.connection_pool.connection_kwargs["socket_timeout"] = None
                _rq_redis = client
    return _rq_redis


def reset_clients() -> None:
    """Forget settings and clients, so the next use reads the environment afresh (tests, tools)."""
    global _mongo, _redis, _rq_redis, _indexes_ready
    settings.cache_clear()
    _mongo = None
    _redis = None
    _rq_redis = None
    _indexes_ready = False
