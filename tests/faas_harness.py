"""A throw-away FaaS instance for tests and benchmarks: redis-server and supervisord in a temp folder.

It is an `ops` instance of its own (free loopback ports, folders in the temp folder) running only the gateway,
the async worker, the cron connector and Redis, with the configuration the local stack renders for them
(`ops.programs`, `ops.render`, `ops.components`), so tests exercise the real processes as they run.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import xmlrpc.client
from contextlib import closing
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests

from ops import components, secrets, supervisor
from ops.instance import BASE_PORTS, REPO, Instance
from ops.programs import programs
from ops.render import supervisord_conf


def free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def free_port_block(count: int, start: int = 61000, stop: int = 65500) -> int:
    """The first port of `count` consecutive ports that nothing listens on (probed by binding).

    The default range lies above Linux's ephemeral ports (32768-60999), so outgoing connections and the
    instance's own `free_port()` picks cannot land in it.
    """
    base = start + (os.getpid() * 7919) % (stop - start - count)
    for offset in range(0, stop - start, count):
        first = start + (base - start + offset) % (stop - start - count)
        ok = True
        for port in range(first, first + count):
            with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
                try:
                    sock.bind(("127.0.0.1", port))
                except OSError:
                    ok = False
                    break
        if ok:
            return first
    raise RuntimeError(f"no {count} free consecutive ports")


class LocalFaaS:
    """One running instance; exposes what the project's `stack` fixture exposes (gateway_url, env, ...)."""

    #: the instance's programs this harness runs, as the local stack renders them (ops.programs)
    PROGRAMS = ("redis", "gateway", "faas-async", "faas-cron")

    def __init__(self, root: Path, functions_path: list[Path], port_count: int = 60) -> None:
        self.root = root
        self.functions_path = functions_path
        self.port_count = port_count
        ports = {name: free_port() for name in BASE_PORTS}
        ports["functions"] = free_port_block(port_count)
        self.instance = Instance(name=f"faas-{root.name}", offset=0, home=root, ports=ports)
        self.gateway_port = ports["gateway"]
        self.metrics_port = ports["metrics"]
        self.redis_port = ports["redis"]
        self.function_port_base = ports["functions"]
        self.secrets_dir = self.instance.secrets_dir
        self.log_dir = self.instance.logs_dir
        self.gateway_url = self.instance.url("gateway")
        self.metrics_url = f"{self.instance.url('metrics')}/metrics"
        self.process: subprocess.Popen[bytes] | None = None
        tools = REPO / ".tools" / "bin"
        self.env: dict[str, str] = {
            **os.environ,
            "PATH": f"{tools}{os.pathsep}{os.environ.get('PATH', '')}",
            "OPENFAAS_URL": self.gateway_url,
            "OPENFAAS_CONFIG": str(root / "faas-cli"),
        }

    # ---- what tests use -----------------------------------------------------------------------------------

    def secret(self, name: str) -> str:
        return secrets.read(self.secrets_dir, name)

    @property
    def auth(self) -> tuple[str, str]:
        return ("admin", self.secret("basic-auth-password"))

    def supervisor(self) -> Any:
        return supervisor.connect(self.instance)

    def stop_component(self, name: str) -> None:
        self.supervisor().stopProcess(name, True)

    def start_component(self, name: str, wait: bool = True) -> None:
        self.supervisor().startProcess(name, wait)

    # ---- lifecycle ----------------------------------------------------------------------------------------

    def harness_env(self) -> dict[str, str]:
        """What the harness sets beyond the instance's own FaaS settings: small limits that tests reach."""
        return {
            "FAAS_BIND": "127.0.0.1",
            "FAAS_FUNCTIONS_PATH": os.pathsep.join(str(p) for p in self.functions_path),
            "FAAS_FUNCTION_PORT_COUNT": str(self.port_count),
            "FAAS_MAX_BODY_BYTES": str(1024 * 1024),
            "FAAS_CRON_REFRESH": "1",
            "FAAS_READY_TIMEOUT": "10",
        }

    def _write_config(self) -> Path:
        instance = self.instance
        for folder in (instance.run_dir, instance.logs_dir, instance.faas_state_dir / "supervisor",
                       instance.data_dir / "redis"):
            folder.mkdir(parents=True, exist_ok=True)
        secrets.ensure_secrets(instance.secrets_dir)
        redis_conf = instance.run_dir / "redis.conf"
        redis_conf.write_text(components.redis_conf(port=self.redis_port, password=self.secret("redis-password"),
                                                    folder=instance.data_dir / "redis", persistent=False))
        os.chmod(redis_conf, 0o600)
        listed = [replace(program, environment={**program.environment, **self.harness_env()})
                  if program.environment else program
                  for program in programs(instance) if program.name in self.PROGRAMS]
        conf = instance.run_dir / "supervisord.conf"
        conf.write_text(supervisord_conf(instance, listed))
        return conf

    def start(self, timeout: float = 30.0) -> LocalFaaS:
        conf = self._write_config()
        supervisord = Path(sys.executable).with_name("supervisord")
        self.process = subprocess.Popen(
            [str(supervisord), "--nodaemon", "-c", str(conf)],
            env={**os.environ, "PYTHONPATH": str(REPO)},
            cwd=self.root,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"supervisord exited with {self.process.returncode}; see {self.log_dir}")
            try:
                if requests.get(f"{self.gateway_url}/healthz", timeout=1).ok:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the gateway did not answer within {timeout}s; see {self.log_dir}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        try:
            self.supervisor().shutdown()
        except (OSError, xmlrpc.client.Error):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)

    # ---- API helpers --------------------------------------------------------------------------------------

    def deploy(self, service: str, **fields: Any) -> requests.Response:
        body = {"service": service, "image": f"local/{service}:latest", **fields}
        return requests.post(f"{self.gateway_url}/system/functions", json=body, auth=self.auth, timeout=30)

    def wait_ready(self, service: str, replicas: int = 1, timeout: float = 20.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        status: dict[str, Any] = {}
        while time.monotonic() < deadline:
            response = requests.get(f"{self.gateway_url}/system/function/{service}", auth=self.auth, timeout=5)
            if response.ok:
                status = response.json()
                if status["availableReplicas"] >= replicas:
                    return status
            time.sleep(0.1)
        raise AssertionError(f"{service} not ready with {replicas} replica(s): {status}")


class CallbackServer:
    """A tiny HTTP server receiving async results."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.event = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                outer.received.append({"path": self.path, "headers": dict(self.headers), "body": body})
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()
                outer.event.set()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait(self, count: int = 1, timeout: float = 30.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.received) >= count, f"{len(self.received)} callback(s) of {count} within {timeout}s"
        return self.received

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def start_local(functions_path: list[Path] | None = None) -> tuple[LocalFaaS, tempfile.TemporaryDirectory[str]]:
    """Start an instance in a new temp folder; the caller stops it and cleans the folder up."""
    tmp = tempfile.TemporaryDirectory(prefix="faas-")
    paths = functions_path or [REPO / "functions", REPO / "tests" / "functions"]
    return LocalFaaS(Path(tmp.name), paths).start(), tmp


def instance_for_tests(request: Any) -> Any:
    """Generator behind the FaaS test fixtures: the project's `stack` by default, or with
    FAAS_TEST_INSTANCE=own a LocalFaaS of the tests' own (gateway, worker, cron, redis only)."""
    if os.environ.get("FAAS_TEST_INSTANCE", "stack") != "own":
        yield request.getfixturevalue("stack")
        return
    instance, tmp = start_local()
    try:
        yield instance
    finally:
        instance.stop()
        if os.environ.get("FAAS_TEST_KEEP"):
            print(f"kept {tmp.name}")
        else:
            tmp.cleanup()
