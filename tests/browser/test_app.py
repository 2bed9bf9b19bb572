"""The browser app in Debian's chromium against the test instance (app.test.mjs: the flows; party.test.mjs: the room
as people use it; a11y.test.mjs: the accessibility audit of every page)."""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from bench.sync import ensure_clip
from tests.browser.conftest import NODE_MODULES

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
DEMO_TITLE = "Welcome to FLMnCHLL"
RUN_SECONDS = 300

pytestmark = pytest.mark.usefixtures("browser_tools")


def _ready_demo_id(stack: Any, token: str) -> str | None:
    response = stack.call("list-content", path=f"?q={requests.utils.quote(DEMO_TITLE)}&per_page=10",
                          method="GET", token=token)
    assert response.status_code == 200, response.text
    return next((item["id"] for item in response.json()["items"]
                 if item["title"] == DEMO_TITLE and item["status"] == "ready"), None)


@pytest.fixture(scope="module")
def demo(stack: Any) -> str:
    """The demo video's id, seeded through the real upload path and processed."""
    token = stack.admin_token()
    found = _ready_demo_id(stack, token)
    if found:
        return found
    subprocess.run([sys.executable, "-m", "flmnchll.content.demo", "--front", stack.front_url, "--wait", "180"],
                   cwd=REPO, env=stack.env, check=True, timeout=240)
    return str(stack.wait_until(lambda: _ready_demo_id(stack, token), timeout=120, interval=1))


def _run_node(test_file: str, env: dict[str, str], artifacts: Path) -> None:
    """Runs one node test file against the test instance; fails with its output unless every test passed."""
    env = {**env, "ARTIFACTS_DIR": str(artifacts / "app"), "NODE_PATH": str(NODE_MODULES)}
    result = subprocess.run(["node", "--test", "--test-reporter=spec", str(HERE / test_file)],
                            cwd=REPO, env=env, capture_output=True, text=True, timeout=RUN_SECONDS)
    output = result.stdout + result.stderr
    print(output)
    assert result.returncode == 0, f"browser tests failed (exit {result.returncode}):\n{output[-20000:]}"
    assert "ℹ fail 0" in output, output[-4000:]


def _front_env(stack: Any) -> dict[str, str]:
    return {**stack.env, "FRONT_URL": stack.front_url, "GATEWAY_URL": stack.gateway_url,
            "ADMIN_PASSWORD": stack.secret("admin-password")}


def test_the_app_in_a_browser(stack: Any, demo: str, artifacts: Path) -> None:
    _run_node("app.test.mjs", _front_env(stack), artifacts)


def test_the_room_as_people_use_it(stack: Any, artifacts: Path, create_room: Callable[..., str]) -> None:
    """Keyboard only, full screen with the party, and a notice on a phone (party.test.mjs)."""
    film = ensure_clip(stack.front_url, stack.admin_token())
    users = [stack.signup_login(prefix) for prefix in ("host", "guest", "phone")]
    name = f"Party {secrets.token_hex(3)}"
    room = create_room(users[0], name, film["id"])
    env = {**_front_env(stack), "PARTY_ROOM": room, "PARTY_ROOM_NAME": name,
           "PARTY_USERS": json.dumps([{"token": u["token"], "user": u["user"]} for u in users])}
    _run_node("party.test.mjs", env, artifacts)


def test_every_page_passes_the_accessibility_audit(stack: Any, demo: str, artifacts: Path,
                                                   create_room: Callable[..., str]) -> None:
    """axe-core on every page: no violation of impact serious or critical (a11y.test.mjs)."""
    room = create_room(stack.signup_login("audit"), "Audit night", demo)
    env = {**_front_env(stack), "AUDIT_CONTENT": demo, "AUDIT_ROOM": room}
    _run_node("a11y.test.mjs", env, artifacts)
