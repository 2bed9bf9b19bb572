"""The real faas-cli against the gateway: login, deploy, list, describe, invoke, secrets, logs, version."""

from __future__ import annotations

import json
import re
import secrets as random
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from faas.settings import PACKAGE_ROOT
from tests.faas_harness import CallbackServer, instance_for_tests

FAAS_CLI = PACKAGE_ROOT / ".tools" / "bin" / "faas-cli"
STACK_FILE = PACKAGE_ROOT / "tests" / "functions" / "stack.yml"
TEST_FUNCTIONS = ("hello", "sleep", "crash", "inflight")

class Cli:
    """Runs faas-cli as a user would, from a folder holding `template/` (where faas-cli looks for templates)."""

    def __init__(self, faas: Any, workdir: Path) -> None:
        self.faas = faas
        self.workdir = workdir
        (workdir / "template").symlink_to(PACKAGE_ROOT / "templates", target_is_directory=True)
        self.env = {**faas.env, "OPENFAAS_URL": faas.gateway_url, "OPENFAAS_CONFIG": str(workdir / "config")}

    def __call__(self, *args: str, stdin: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(FAAS_CLI), *args],
            cwd=self.workdir,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def ok(self, *args: str, stdin: str | None = None) -> str:
        result = self(*args, stdin=stdin)
        assert result.returncode == 0, f"faas-cli {' '.join(args)}: {result.stdout}\n{result.stderr}"
        return result.stdout


@pytest.fixture(scope="module")
def faas(request: pytest.FixtureRequest) -> Iterator[Any]:
    yield from instance_for_tests(request)


@pytest.fixture(scope="module")
def cli(faas: Any, tmp_path_factory: pytest.TempPathFactory) -> Cli:
    assert FAAS_CLI.exists(), f"faas-cli is not built at {FAAS_CLI} (make install builds it)"
    runner = Cli(faas, tmp_path_factory.mktemp("faas-cli"))
    runner.ok("login", "--username", "admin", "--password-stdin", stdin=faas.secret("basic-auth-password"))
    return runner


@pytest.fixture(scope="module")
def deployed(cli: Cli) -> Cli:
    out = cli.ok("deploy", "-f", str(STACK_FILE))
    for name in TEST_FUNCTIONS:
        assert f"Deploying: {name}." in out
    assert out.count("Deployed. 202 Accepted.") == len(TEST_FUNCTIONS), out
    auth = ("admin", cli.faas.secret("basic-auth-password"))
    deadline = time.monotonic() + 60
    while True:
        listed = requests.get(f"{cli.faas.gateway_url}/system/functions", auth=auth, timeout=5).json()
        ready = {f["name"] for f in listed if f["availableReplicas"] >= max(1, f["replicas"])}
        if set(TEST_FUNCTIONS) <= ready:
            return cli
        assert time.monotonic() < deadline, f"not ready: {listed}"
        time.sleep(0.2)


def test_login_refuses_a_wrong_password(faas: Any, tmp_path: Path) -> None:
    runner = Cli(faas, tmp_path)
    result = runner("login", "--username", "admin", "--password-stdin", stdin="not-the-password")
    assert result.returncode != 0
    assert "incorrect" in (result.stdout + result.stderr)
    result = runner("list")
    assert result.returncode != 0
    assert "unauthorized" in (result.stdout + result.stderr).lower()
    runner.ok("login", "--username", "admin", "--password-stdin", stdin=faas.secret("basic-auth-password"))
    runner.ok("list")


def test_version_shows_gateway_and_provider(cli: Cli) -> None:
    out = cli.ok("version", "--warn-update=false")
    assert "Gateway" in out and cli.faas.gateway_url in out
    assert re.search(r"Provider\s+name:\s+\S+", out), out
    assert re.search(r"orchestration:\s+\S+", out), out


def test_list_verbose(deployed: Cli) -> None:
    out = deployed.ok("list", "-v")
    rows = {line.split()[0]: line.split() for line in out.splitlines()[1:] if line.strip()}
    assert set(TEST_FUNCTIONS) <= set(rows)
    assert rows["hello"][1] == "flmnchll-test/hello:latest"
    assert rows["hello"][3] == "2"  # replicas from com.openfaas.scale.min


def test_describe(deployed: Cli) -> None:
    out = deployed.ok("describe", "hello")
    fields = dict(re.findall(r"^([A-Za-z ]+):\s+(.*)$", out, re.MULTILINE))
    assert fields["Name"].strip() == "hello"
    assert fields["Status"].strip() == "Ready"
    assert fields["Replicas"].strip() == "2"
    assert fields["Available Replicas"].strip() == "2"
    assert fields["Function Process"].strip() == "python index.py"
    assert fields["URL"].strip() == f"{deployed.faas.gateway_url}/function/hello"
    missing = deployed("describe", "no-such-function")
    assert missing.returncode != 0


def test_invoke_sync(deployed: Cli) -> None:
    out = deployed.ok("invoke", "hello", "--query", "k=v", "--header", "X-Test=1", stdin="from faas-cli")
    echo = json.loads(out)
    assert echo["body"] == "from faas-cli"
    assert echo["query"] == {"k": ["v"]}
    assert echo["headers"]["X-Test"] == "1"
    failed = deployed("invoke", "no-such-function", stdin="x")
    assert failed.returncode != 0
    assert "error finding function no-such-function.openfaas-fn" in failed.stdout + failed.stderr


def test_invoke_async_with_callback(deployed: Cli) -> None:
    server = CallbackServer()
    try:
        result = deployed(
            "invoke", "hello", "--async", "--header", f"X-Callback-Url={server.url}/cb", stdin="later please"
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "Function submitted asynchronously" in result.stdout + result.stderr
        received = server.wait()[0]
        assert received["headers"]["X-Function-Status"] == "200"
        assert received["headers"]["X-Function-Name"] == "hello"
        assert received["headers"]["X-Call-Id"]
        assert json.loads(received["body"])["body"] == "later please"
    finally:
        server.close()


def test_secret_create_list_remove(cli: Cli) -> None:
    name = f"cli-secret-{random.token_hex(3)}"
    try:
        out = cli.ok("secret", "create", name, "--from-literal", "value-1")
        assert "Created" in out
        assert (cli.faas.secrets_dir / name).read_text() == "value-1"
        again = cli("secret", "create", name, "--from-literal", "value-1")
        assert "already exists" in again.stdout + again.stderr
        listed = cli.ok("secret", "list")
        assert name in listed.split()
        assert "value-1" not in listed
        cli.ok("secret", "update", name, "--from-literal", "value-2")
        assert (cli.faas.secrets_dir / name).read_text() == "value-2"
        cli.ok("secret", "remove", name)
        assert name not in cli.ok("secret", "list").split()
    finally:
        cli("secret", "remove", name)


def test_logs(deployed: Cli) -> None:
    deployed.ok("invoke", "hello", stdin="x")
    out = deployed.ok("logs", "hello", "--tail=false", "--lines=20")
    assert out.strip(), "no log lines"
