"""What the browser tests need: the tools on the machine (a missing piece is a failed test, never a skip), and
what they prepare through the API before the pages open."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
NODE_MODULES = REPO / "frontend" / "node_modules"
DIST = REPO / "frontend" / "dist" / "index.html"
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))


@pytest.fixture(scope="session")
def browser_tools() -> None:
    """node, ffmpeg, Debian's chromium, playwright-core, axe-core and the built app (all from scripts/install.sh)."""
    for needed, what in ((NODE_MODULES / "playwright-core", "frontend/node_modules (bash scripts/install.sh)"),
                         (NODE_MODULES / "axe-core", "frontend/node_modules (bash scripts/install.sh)"),
                         (DIST, "the built app (bash scripts/install.sh)"), (CHROMIUM, "Debian's chromium")):
        assert needed.exists(), f"missing {what}: {needed}"
    for program in ("node", "ffmpeg"):
        assert shutil.which(program), f"{program} is not on PATH (scripts/install.sh installs it)"


@pytest.fixture
def create_room(stack: Any) -> Callable[[dict[str, Any], str, str], str]:
    """Makes a room (no PIN) owned by a user from `stack.signup_login`, playing `content_id`; returns its id."""
    def make(owner: dict[str, Any], name: str, content_id: str) -> str:
        response = stack.call("create-room", token=owner["token"], json={"name": name, "content_id": content_id})
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    return make


def run_node_tests(script: Path, env: dict[str, str], timeout: float, what: str) -> str:
    """Runs a file of node's tests from the repository root and fails with node's output when one fails or the
    run takes longer than `timeout` s; returns what node printed."""
    try:
        result = subprocess.run(["node", "--test", "--test-reporter=spec", str(script)], cwd=REPO, env=env,
                                capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"{what} did not finish in {timeout:.0f} s\n{exc.stdout or ''}\n{exc.stderr or ''}")
    print(result.stdout)
    assert result.returncode == 0, f"{what} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout
