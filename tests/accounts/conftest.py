"""Fixtures for the account tests: real stores of the test instance, fresh names and client addresses."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest

from flmnchll import stores


@pytest.fixture(scope="session")
def stores_ready(request: pytest.FixtureRequest) -> Iterator[None]:
    """The library talks to real FerretDB and Redis.

    By default those of the test instance (the `stack` fixture). `FLMNCHLL_TEST_STORES=local` uses whatever
    MONGODB_URI / REDIS_URL the environment names instead, for a quick loop without the whole stack.
    """
    if os.environ.get("FLMNCHLL_TEST_STORES") != "local":
        request.getfixturevalue("stack")
    stores.reset_clients()
    yield
    stores.reset_clients()


@pytest.fixture
def name() -> str:
    """A username no other test uses."""
    return f"t_{secrets.token_hex(5)}"


@pytest.fixture
def address() -> str:
    """A client address of its own, so rate-limit counters of one test do not leak into another."""
    return f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"
