"""Fixtures of the rooms tests: the library wired to the test instance's stores, users and library items."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from flmnchll import stores
from flmnchll.auth import Principal


@pytest.fixture(scope="session")
def rooms_env(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The library pointed at the test instance (the `stack` fixture exports its environment).

    With ROOMS_LOCAL_STORES=MONGO_PORT:REDIS_PORT the library tests run against a bare FerretDB and Redis
    instead, which keeps them quick while editing; function-level tests still need the stack.
    """
    local = os.environ.get("ROOMS_LOCAL_STORES")
    if not local:
        stack = request.getfixturevalue("stack")
        stores.reset_clients()
        yield stack
        stores.reset_clients()
        return
    mongo_port, redis_port = local.split(":")
    secrets_dir = tmp_path_factory.mktemp("secrets")
    for name in ("peer-token-key", "turn-secret"):
        (secrets_dir / name).write_text(secrets.token_hex(16))
    saved = dict(os.environ)
    os.environ.update(MONGODB_URI=f"mongodb://127.0.0.1:{mongo_port}/flmnchll_rooms_test",
                      REDIS_URL=f"redis://127.0.0.1:{redis_port}/0", SECRETS_DIR=str(secrets_dir),
                      BCRYPT_ROUNDS="4", PEER_PORT="29400", PEER_POOL_SIZE="2")
    stores.reset_clients()
    yield None
    os.environ.clear()
    os.environ.update(saved)
    stores.reset_clients()


@pytest.fixture
def make_user() -> Any:
    def make(name: str = "member") -> Principal:
        suffix = secrets.token_hex(4)
        return Principal(id=f"u{suffix}{secrets.token_hex(8)}", username=f"{name}_{suffix}", role="viewer")
    return make


@pytest.fixture
def make_item(rooms_env: Any) -> Any:
    """Insert a ready library item straight into `content` (the content service's collection); one still
    processing is `playable` once its first segments are out."""
    def make(title: str = "A film", duration: float = 600.0, status: str = "ready", playable: bool = True) -> str:
        content_id = "c" + secrets.token_hex(8)
        stores.db().content.insert_one({"_id": content_id, "title": title, "description": "", "duration": duration,
                                        "status": status, "playable": playable, "thumbnail": None,
                                        "renditions": [], "subtitles": []})
        return content_id
    return make
