"""Fixtures of the stats tests: library tests run on the test instance's FerretDB and Redis, but in their own
database and Redis db, so their exact counters are not disturbed by (and do not disturb) other suites."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from flmnchll import stores


@pytest.fixture(scope="session")
def stats_env(stack: Any) -> Iterator[Any]:
    """The library pointed at private copies of the stores: Redis db 5 and database `flmnchll_stats_lib`."""
    saved = dict(os.environ)
    os.environ["REDIS_URL"] = f"redis://127.0.0.1:{stack.instance.ports['redis']}/5"
    os.environ["MONGODB_URI"] = f"mongodb://127.0.0.1:{stack.instance.ports['mongo']}/flmnchll_stats_lib"
    stores.reset_clients()
    yield stack
    os.environ.clear()
    os.environ.update(saved)
    stores.reset_clients()


@pytest.fixture
def clean(stats_env: Any) -> Any:
    """Empty private stores for one test."""
    stores.redis_client().flushdb()
    database = stores.mongo_client()["flmnchll_stats_lib"]
    for name in ("views", "daily_active", "health", "content", "users"):
        database[name].delete_many({})
    stores._indexes_ready = False
    return stats_env

