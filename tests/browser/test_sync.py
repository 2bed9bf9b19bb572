"""Watching together in real browsers (tests/browser/sync.test.mjs, node's test runner) against the test stack.

This side prepares what the pages need: a ready film long enough to play, pause, seek and buffer in, four
viewer accounts, a room with that film and a second one for the TURN-only check. Node gets them in its
environment and drives one chromium with a context per member.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from bench.sync import ensure_clip

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
CHROMIUM = Path("/usr/bin/chromium")
PLAYWRIGHT = REPO / "frontend" / "node_modules" / "playwright-core"
NODE_TIMEOUT_S = 300

NEEDS_BROWSER = pytest.mark.skipif(
    not CHROMIUM.exists() or shutil.which("node") is None or not PLAYWRIGHT.exists(),
    reason="needs node, /usr/bin/chromium and frontend/node_modules (scripts/install.sh)")

pytestmark = [pytest.mark.slow, pytest.mark.timeout(NODE_TIMEOUT_S + 200), NEEDS_BROWSER]


def create_room(stack: Any, owner: dict[str, Any], name: str, content_id: str) -> str:
    response = stack.call("create-room", token=owner["token"], json={"name": name, "content_id": content_id})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_watching_together_in_browsers(stack: Any, artifacts: Path) -> None:
    assert (REPO / "frontend" / "dist" / "index.html").exists(), "the app is not built (scripts/install.sh)"
    clip = ensure_clip(stack.front_url, stack.admin_token())
    users = [stack.signup_login("sync") for _ in range(4)]
    room = create_room(stack, users[0], "Sync night", clip["id"])
    relay_room = create_room(stack, users[0], "Sync night over TURN", clip["id"])
    env = {
        **stack.env,
        "FRONT_URL": stack.front_url,
        "ARTIFACTS_DIR": str(artifacts),
        "SYNC_ROOM": room,
        "SYNC_RELAY_ROOM": relay_room,
        "SYNC_DURATION": str(clip.get("duration") or 120),
        "SYNC_USERS": json.dumps([{"token": u["token"], "user": u["user"]} for u in users]),
    }
    try:
        result = subprocess.run(["node", "--test", "--test-reporter=spec", str(HERE / "sync.test.mjs")],
                                cwd=REPO, env=env, capture_output=True, text=True, timeout=NODE_TIMEOUT_S)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"the browser tests did not finish in {NODE_TIMEOUT_S} s\n{exc.stdout or ''}\n{exc.stderr or ''}")
    print(result.stdout)
    assert result.returncode == 0, f"browser sync tests failed:\n{result.stdout}\n{result.stderr}"
