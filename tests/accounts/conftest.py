"""Fixtures for the account tests: real stores (the test instance's, or local ones while developing)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flmnchll import stores
from flmnchll.config import settings


@pytest.fixture(scope="session")
def stack(request: pytest.FixtureRequest) -> Iterator[Any]:
    """The shared test instance; or, with ACCOUNTS_TEST_INSTANCE=NAME, an instance of that name already running.

    The second lets these tests run against a private instance while others use the shared one (for example
    the outage tests, which stop Redis and FerretDB).
    """
    name = os.environ.get("ACCOUNTS_TEST_INSTANCE")
    if not name:
        yield request.getfixturevalue("stack")
        return
    root_file = (Path(__file__).parent.parent / "conftest.py").resolve()
    root = next(m for m in request.config.pluginmanager.get_plugins()
                if getattr(m, "__file__", None) and Path(m.__file__).resolve() == root_file)  # pytest loaded it
    from ops.instance import Instance

    instance = Instance.load(name)
    saved = dict(os.environ)
    os.environ.update(instance.environment())
    settings.cache_clear()
    try:
        yield root.Stack(instance)
    finally:
        os.environ.clear()
        os.environ.update(saved)
        settings.cache_clear()


def _reset_store_clients() -> None:
    """Forget clients opened for another configuration (the stack fixture changes the environment)."""
    settings.cache_clear()
    stores._mongo = None
    stores._redis = None
    stores._indexes_ready = False


@pytest.fixture(scope="session")
def stores_ready(request: pytest.FixtureRequest) -> Iterator[None]:
    """The library talks to real FerretDB and Redis.

    By default those of the test instance (the `stack` fixture). `FLMNCHLL_TEST_STORES=local` uses whatever
    MONGODB_URI / REDIS_URL the environment names instead, for a quick loop without the whole stack.
    """
    if os.environ.get("FLMNCHLL_TEST_STORES") != "local":
        request.getfixturevalue("stack")
    _reset_store_clients()
    yield
    _reset_store_clients()


@pytest.fixture
def name() -> str:
    """A username no other test uses."""
    return f"t_{secrets.token_hex(5)}"


@pytest.fixture
def address() -> str:
    """A client address of its own, so rate-limit counters of one test do not leak into another."""
    return f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"
