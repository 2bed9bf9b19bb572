"""Shared helpers of the deployment tests: the repository's paths and a clean copy for faas-cli to work in."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
FAAS_CLI = REPO / ".tools" / "bin" / "faas-cli"


def clean_env() -> dict[str, str]:
    """Only what a tool needs: stack.yml's ${VAR:-default} must take its production defaults, not the shell's."""
    keep = {"PATH", "HOME", "LANG", "TMPDIR"}
    return {key: value for key, value in os.environ.items() if key in keep}


def faas_cli() -> Path:
    found = FAAS_CLI if FAAS_CLI.exists() else (Path(shutil.which("faas-cli")) if shutil.which("faas-cli") else None)
    assert found is not None, "faas-cli is not installed (make install builds it into .tools/bin)"
    return found


def stack_copy(target: Path) -> Path:
    """stack.yml and what it names, with `template/` (faas-cli's folder name) pointing at our `templates/`."""
    for name in ("stack.yml",):
        shutil.copy2(REPO / name, target / name)
    for name in ("functions", "flmnchll", "process_settings", "templates"):
        shutil.copytree(REPO / name, target / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    (target / "template").symlink_to("templates")
    return target


def run_faas_cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(faas_cli()), *args], cwd=cwd, env=clean_env(), capture_output=True, text=True,
                          timeout=120, check=False)
