"""The browser app in Debian's chromium against the test instance (the flows are in app.test.mjs)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.browser.conftest import NODE_MODULES

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
DEMO_TITLE = "Welcome to FLMnCHLL"
RUN_SECONDS = 300


def _demo_ready(stack: Any, token: str) -> bool:
    response = stack.call("list-content", path=f"?q={requests.utils.quote(DEMO_TITLE)}&per_page=10",
                          method="GET", token=token)
    assert response.status_code == 200, response.text
    return any(item["title"] == DEMO_TITLE and item["status"] == "ready" for item in response.json()["items"])


@pytest.fixture(scope="module")
def demo(stack: Any) -> None:
    """The demo video, seeded through the real upload path and processed."""
    token = stack.admin_token()
    if _demo_ready(stack, token):
        return
    subprocess.run([sys.executable, "-m", "flmnchll.content.demo", "--front", stack.front_url, "--wait", "180"],
                   cwd=REPO, env=stack.env, check=True, timeout=240)
    stack.wait_until(lambda: _demo_ready(stack, token), timeout=120, interval=1)


def test_the_app_in_a_browser(browser_tools: None, stack: Any, demo: None, artifacts: Path) -> None:
    env = {
        **stack.env,
        "FRONT_URL": stack.front_url,
        "GATEWAY_URL": stack.gateway_url,
        "ADMIN_PASSWORD": stack.secret("admin-password"),
        "ARTIFACTS_DIR": str(artifacts / "app"),
        "NODE_PATH": str(NODE_MODULES),
    }
    result = subprocess.run(["node", "--test", "--test-reporter=spec", str(HERE / "app.test.mjs")],
                            cwd=REPO, env=env, capture_output=True, text=True, timeout=RUN_SECONDS)
    output = result.stdout + result.stderr
    print(output)
    assert result.returncode == 0, f"browser tests failed (exit {result.returncode}):\n{output[-20000:]}"
    assert "ℹ fail 0" in output, output[-4000:]
