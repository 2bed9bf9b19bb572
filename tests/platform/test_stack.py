"""The local stack as an operator meets it: components up, secrets private, clear errors, restarts."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys

import pytest
import redis

from ops.instance import PORT_ENV, REPO
from ops.secrets import SECRETS


def run_ops(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ops", *args], cwd=REPO, env=env or dict(os.environ),
                          capture_output=True, text=True, timeout=120)


def test_status_lists_every_component_up(stack) -> None:
    result = run_ops("status", "--instance", stack.instance.name)
    assert result.returncode == 0, result.stderr
    lines = {line.split()[0]: line.split() for line in result.stdout.splitlines()[1:]}
    for name in ("redis", "ferretdb", "gateway", "tusd", "nginx", "coturn", "peer-0", "faas-async", "faas-cron"):
        assert lines[name][1] == "up", result.stdout
        assert int(lines[name][2]) > 0
    assert lines["gateway"][3] == str(stack.instance.ports["gateway"])


def test_redis_requires_the_password(stack) -> None:
    port = stack.instance.ports["redis"]
    assert redis.Redis(port=port, password=stack.secret("redis-password")).ping()
    with pytest.raises(redis.exceptions.AuthenticationError):
        redis.Redis(port=port).ping()
    with pytest.raises(redis.exceptions.AuthenticationError):
        redis.Redis(port=port, password="wrong-password").ping()


def test_secrets_are_private_and_never_logged(stack) -> None:
    values = []
    for name in SECRETS:
        path = stack.secrets_dir / name
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, name
        values.append(path.read_text().strip())
    for log in stack.instance.logs_dir.glob("*.log"):
        text = log.read_text(errors="replace")
        for value in values:
            assert value not in text, f"a secret appears in {log.name}"


def test_a_port_in_use_is_named_clearly(stack) -> None:
    env = {key: value for key, value in os.environ.items() if key not in PORT_ENV.values()}
    env.update(PORT_OFFSET="31000", GATEWAY_PORT=str(stack.instance.ports["gateway"]))
    result = run_ops("start", "--instance", "port-clash", env=env)
    assert result.returncode == 1
    assert f"port {stack.instance.ports['gateway']} (gateway)" in result.stderr
    assert "already in use" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_killed_component_is_restarted(stack) -> None:
    before = stack.component_pid("peer-1")
    os.kill(before, signal.SIGKILL)
    after = stack.wait_until(lambda: (pid := stack.component_pid("peer-1")) not in (0, before) and pid, timeout=20)
    assert after != before
    stack.wait_until(lambda: _answers(stack.instance.ports["peer"] + 1), timeout=20)


def _answers(port: int) -> bool:
    import requests

    try:
        return requests.get(f"http://127.0.0.1:{port}/health", timeout=2).ok
    except requests.RequestException:
        return False
