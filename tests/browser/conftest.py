"""What both browser tests need on the machine: a missing piece is a failed test, never a skip."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NODE_MODULES = REPO / "frontend" / "node_modules"
DIST = REPO / "frontend" / "dist" / "index.html"
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))


@pytest.fixture(scope="session")
def browser_tools() -> None:
    """node, ffmpeg, Debian's chromium, playwright-core and the built app (all from scripts/install.sh)."""
    for needed, what in ((NODE_MODULES / "playwright-core", "frontend/node_modules (bash scripts/install.sh)"),
                         (DIST, "the built app (bash scripts/install.sh)"), (CHROMIUM, "Debian's chromium")):
        assert needed.exists(), f"missing {what}: {needed}"
    for program in ("node", "ffmpeg"):
        assert shutil.which(program), f"{program} is not on PATH (scripts/install.sh installs it)"
