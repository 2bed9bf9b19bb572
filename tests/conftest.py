"""The test instance of the whole stack, shared by every test that needs real components.

The session starts one instance (ports +10000, folders under .instances/test) with the real FerretDB, Redis,
gateway, workers, tusd, nginx, PeerJS pool and coturn, deploys stack.yml and the test functions with the real
faas-cli, and stops it at the end. A test instance that is already running (`python -m ops start --instance
test`) is reused and left running, which keeps the edit-test loop short.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets as random
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pymongo
import pytest
import redis
import requests
from pymongo.database import Database

from flmnchll import stores
from ops import control
from ops.__main__ import bring_up
from ops.instance import REPO, Instance
from ops.supervisor import connect, is_running

TEST_FUNCTIONS = REPO / "tests" / "functions" / "stack.yml"
ARTIFACTS = REPO / "tests" / "artifacts"


@dataclass(eq=False)  # hashed by identity: redis() and db() are cached per stack
class Stack:
    instance: Instance

    @property
    def gateway_url(self) -> str:
        return self.instance.url("gateway")

    @property
    def front_url(self) -> str:
        return self.instance.url("front")

    @property
    def metrics_url(self) -> str:
        return self.instance.url("metrics") + "/metrics"

    @property
    def tusd_url(self) -> str:
        return self.instance.url("tusd")

    @property
    def secrets_dir(self) -> Path:
        return self.instance.secrets_dir

    @property
    def env(self) -> dict[str, str]:
        """Environment for subprocesses (faas-cli, node): the instance's settings and tools on PATH."""
        return {**os.environ, **self.instance.environment(),
                "OPENFAAS_CONFIG": str(self.instance.run_dir / "openfaas")}

    def secret(self, name: str) -> str:
        return (self.secrets_dir / name).read_text().strip()

    def admin_task(self, function: str, payload: Any = None, method: str = "POST", path: str = "/") -> bytes:
        """The body of a fresh admin task, built by the command the README gives admins."""
        args = [self.instance.python, "-m", "flmnchll.admin_tasks", function, json.dumps(payload or {}),
                "--method", method, "--path", path]
        return subprocess.run(args, capture_output=True, check=True, cwd=REPO).stdout

    def faas_cli(self, *args: str, input: bytes | None = None, check: bool = False,
                 ) -> subprocess.CompletedProcess[bytes]:
        return control.faas_cli(self.instance, *args, input=input, check=check)

    @cache  # noqa: B019 - one client per stack for the whole session
    def redis(self) -> redis.Redis:
        return redis.Redis(port=self.instance.ports["redis"], password=self.secret("redis-password"),
                           decode_responses=True, socket_timeout=5)

    @cache  # noqa: B019
    def db(self) -> Database:
        client: pymongo.MongoClient = pymongo.MongoClient(
            f"mongodb://127.0.0.1:{self.instance.ports['mongo']}/", serverSelectionTimeoutMS=5000, tz_aware=True)
        return client["flmnchll"]

    def call(self, function: str, path: str = "", method: str = "POST", token: str | None = None,
             json: Any = None, via_front: bool = False, **kwargs: Any) -> requests.Response:
        """Call a function the way the app does: JSON in, JSON out, an optional Bearer token."""
        base = self.front_url if via_front else self.gateway_url
        headers = dict(kwargs.pop("headers", {}) or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        url = f"{base}/function/{function}{'/' + path.lstrip('/') if path else ''}"
        return requests.request(method, url, json=json, headers=headers, timeout=kwargs.pop("timeout", 30), **kwargs)

    def login(self, username: str, password: str, address: str | None = None) -> dict[str, Any]:
        headers = {"X-Real-IP": address} if address else {}
        response = self.call("login", json={"username": username, "password": password}, headers=headers)
        assert response.status_code == 200, response.text
        return response.json()

    def admin_token(self) -> str:
        return self.login("admin", self.secret("admin-password"))["token"]

    def signup_login(self, prefix: str = "user", password: str = "correct horse battery") -> dict[str, Any]:
        """A fresh viewer account: `{"token", "user", "username", "password"}`."""
        username = f"{prefix}_{random.token_hex(4)}"
        # Each test user comes from an address of its own (benchmarking range), as real users do, so the
        # per-address signup limit applies to them one by one and not to the whole suite at once.
        address = f"198.18.{random.randbelow(256)}.{random.randbelow(256)}"
        response = self.call("signup", json={"username": username, "password": password},
                             headers={"X-Real-IP": address})
        assert response.status_code == 201, response.text
        session = self.login(username, password, address)
        return {**session, "username": username, "password": password}

    # --- components (supervisord programs) -----------------------------------------------------------
    def _supervisor(self) -> Any:
        return connect(self.instance)

    def stop_component(self, name: str) -> None:
        self._supervisor().stopProcess(name, True)

    def start_component(self, name: str, wait: bool = True) -> None:
        self._supervisor().startProcess(name, wait)

    def component_pid(self, name: str) -> int:
        return int(self._supervisor().getProcessInfo(name)["pid"])

    def wait_until(self, predicate: Any, timeout: float = 30.0, interval: float = 0.2) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"condition not met within {timeout}s")
            time.sleep(interval)


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    instance = Instance.load(os.environ.get("FLMNCHLL_TEST_INSTANCE", "test"))
    instance.home.mkdir(parents=True, exist_ok=True)
    # Several pytest sessions may share one instance: the lock serialises start-up, and the session that
    # started the instance stops it only when no other session still holds the lock.
    lock = open(instance.home / "pytest.lock", "a")  # noqa: SIM115 - held for the whole session
    fcntl.flock(lock, fcntl.LOCK_EX)
    reused = is_running(instance)
    if reused:
        control.deploy(instance)  # the functions' code may have changed since that instance started
        control.wait_functions(instance)
    else:
        bring_up(instance, foreground=False, demo=False)
    if TEST_FUNCTIONS.exists():
        control.deploy(instance, TEST_FUNCTIONS)
        control.wait_functions(instance)
    fcntl.flock(lock, fcntl.LOCK_SH)
    saved = dict(os.environ)
    os.environ.update(instance.environment())
    stores.reset_clients()
    try:
        yield Stack(instance)
    finally:
        os.environ.clear()
        os.environ.update(saved)
        stores.reset_clients()
        if not reused:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                control.stop(instance)
            except BlockingIOError:
                pass
        lock.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where tests leave screenshots and media for a person to look at (git-ignored)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
