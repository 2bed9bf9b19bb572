"""The fault suite's own instance of the whole stack, which its tests kill, restart, slow down and fill up.

It runs beside the shared test instance (its ports are that instance's plus 2500, or `FAULTS_PORT_OFFSET`) so
that no other test sees its outages. An instance already running is reused and left running, as the shared
one is; otherwise it is started for the session and stopped at the end.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from flmnchll import stores
from ops.instance import Instance
from ops.supervisor import is_running
from tests.conftest import PrivateInstance, Stack
from tests.content.conftest import Uploads, content_id_of, lavfi, make_clip, wait_for
from tests.faults import figures
from tests.faults.load import Clients, viewer_calls

OFFSET_FROM_TEST_INSTANCE = 2500
VIEWERS = 20


def settings() -> dict[str, str]:
    offset = os.environ.get("FAULTS_PORT_OFFSET") or str(Instance.load("test").offset + OFFSET_FROM_TEST_INSTANCE)
    # the ladder split between a transcode and a downscale job (the shared instance encodes it in one pass), so
    # that both jobs' faults are tried, and the split setting runs end to end somewhere in the suite
    return {"PORT_OFFSET": offset, "BCRYPT_ROUNDS": "4", "STORAGE_BACKEND": "local", "SPLIT_LADDER": "on"}


PRIVATE = PrivateInstance("faults", settings())


@pytest.fixture(scope="session")
def faults() -> Iterator[Stack]:
    instance = PRIVATE.load()
    reused = is_running(instance)
    if not reused:
        PRIVATE.ops("start")
    try:
        yield Stack(instance)
    finally:
        if not reused:
            PRIVATE.ops("down")


@contextlib.contextmanager
def library(stack: Stack) -> Iterator[None]:
    """The project's own library (`flmnchll`) pointed at the fault instance, for as long as a test needs it."""
    with mock.patch.dict(os.environ, stack.instance.environment()):
        stores.reset_clients()
        try:
            yield
        finally:
            stores.reset_clients()


@pytest.fixture(scope="session")
def admin_token(faults: Stack) -> str:
    return faults.admin_token()


@pytest.fixture(scope="session")
def uploads(faults: Stack) -> Uploads:
    return Uploads(f"{faults.front_url}/uploads/")


@pytest.fixture(scope="session")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A short 720p clip that every rung re-encodes (4:2:2 cannot be remuxed): one transcode job for 720p and
    one downscale job for 480p, each running ffmpeg for a few seconds."""
    return make_clip(tmp_path_factory.mktemp("faults"), "clip.mkv", *lavfi("1280x720", 4), "-c:v", "libx264",
                     "-preset", "ultrafast", "-pix_fmt", "yuv422p", "-c:a", "aac", "-shortest")


def upload(stack: Stack, uploads: Uploads, token: str, path: Path, title: str) -> tuple[str, float]:
    """Upload `path`; returns the new item's id and when the upload finished (monotonic seconds)."""
    content_id = content_id_of(stack, uploads.upload(path, token, title=title))
    return content_id, time.monotonic()


def processed(stack: Stack, uploads: Uploads, token: str, path: Path, title: str) -> tuple[str, float]:
    """Upload `path` and wait until it is ready: the item's id, and the seconds from the end of the upload."""
    content_id, finished = upload(stack, uploads, token, path, title)
    ready = wait_for(stack, token, content_id, timeout=180)
    assert ready["status"] == "ready", ready
    return content_id, time.monotonic() - finished


@pytest.fixture(scope="session")
def ready_item(faults: Stack, uploads: Uploads, admin_token: str, clip: Path) -> str:
    """A film ready to watch."""
    return processed(faults, uploads, admin_token, clip, "faults: ready")[0]


@dataclass(frozen=True)
class Watching:
    viewers: list[dict[str, Any]]  #: as `Stack.signup_login` returns them; each room's host first
    rooms: dict[str, str]  #: user id → the room that viewer is in

    def join(self, stack: Stack) -> None:
        """Everyone (back) in their room, hosts first: members who sent no heartbeat for 30 s have left it."""
        for viewer in self.viewers:
            joined = stack.call("join-room", json={"room_id": self.rooms[viewer["user"]["id"]]},
                                token=viewer["token"])
            assert joined.status_code == 200, joined.text

    def clients(self, stack: Stack) -> Clients:
        """Every viewer calling as a watching browser does, from the moment they are all in their rooms."""
        self.join(stack)
        return Clients(viewer_calls(stack, v["token"], self.rooms[v["user"]["id"]]) for v in self.viewers)


@pytest.fixture(scope="session")
def watching(faults: Stack, ready_item: str) -> Watching:
    """Twenty viewers watching a film in two rooms (a room holds at most 16)."""
    viewers = [faults.signup_login("watcher") for _ in range(VIEWERS)]
    rooms: dict[str, str] = {}
    for group in (viewers[: VIEWERS // 2], viewers[VIEWERS // 2:]):
        created = faults.call("create-room", json={"name": "faults", "content_id": ready_item},
                              token=group[0]["token"])
        assert created.status_code == 201, created.text
        rooms.update({viewer["user"]["id"]: created.json()["id"] for viewer in group})
    return Watching(viewers, rooms)


def rq_url(stack: Stack) -> str:
    return f"redis://:{stack.secret('redis-password')}@127.0.0.1:{stack.instance.ports['redis']}/0"


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if figures.REPORTED:
        terminalreporter.section("fault suite figures")
        for line in figures.REPORTED:
            terminalreporter.write_line(line)
