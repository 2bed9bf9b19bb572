"""Watching together in real browsers (tests/browser/sync.test.mjs, node's test runner) against the test stack.

This side prepares what the pages need: a ready film long enough to play, pause, seek and buffer in, four
viewer accounts, a room with that film and a second one for the TURN-only check. Node gets them in its
environment and drives one chromium with a context per member.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bench.sync import ensure_clip
from tests.browser.conftest import run_node_tests

HERE = Path(__file__).resolve().parent
NODE_TIMEOUT_S = 300

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(NODE_TIMEOUT_S + 200),
    pytest.mark.usefixtures("browser_tools"),
]


def test_watching_together_in_browsers(stack: Any, artifacts: Path, create_room: Callable[..., str]) -> None:
    clip = ensure_clip(stack.front_url, stack.admin_token())
    users = [stack.signup_login("sync") for _ in range(4)]
    room = create_room(users[0], "Sync night", clip["id"])
    relay_room = create_room(users[0], "Sync night over TURN", clip["id"])
    env = {
        **stack.env,
        "FRONT_URL": stack.front_url,
        "ARTIFACTS_DIR": str(artifacts),
        "SYNC_ROOM": room,
        "SYNC_RELAY_ROOM": relay_room,
        "SYNC_DURATION": str(clip.get("duration") or 120),
        "SYNC_USERS": json.dumps([{"token": u["token"], "user": u["user"]} for u in users]),
        "SYNC_PEER_PIDS": json.dumps([stack.component_pid(f"peer-{n}") for n in range(len(stack.instance.peer_ports))]),
    }
    run_node_tests(HERE / "sync.test.mjs", env, NODE_TIMEOUT_S, "the browser sync tests")
