"""A throw-away FaaS instance for tests and benchmarks: redis-server and supervisord in a temp folder.

supervisord runs the gateway, the async worker and the cron connector exactly as an instance's own
configuration would, on free loopback ports, so tests exercise the real processes.
"""

from __future__ import annotations

import os
import secrets as pysecrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import xmlrpc.client
from contextlib import closing
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests

from faas.settings import PACKAGE_ROOT


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

    def __init__(self, root: Path, functions_path: list[Path], port_count: int = 60) -> None:
        self.root = root
        self.functions_path = functions_path
        self.gateway_port = free_port()
        self.metrics_port = free_port()
        self.redis_port = free_port()
        self.function_port_base = free_port_block(port_count)
        self.port_count = port_count
        self.secrets_dir = root / "secrets"
        self.state_dir = root / "state"
        self.log_dir = root / "logs"
        self.socket = root / "supervisor.sock"
        self.gateway_url = f"http://127.0.0.1:{self.gateway_port}"
        self.metrics_url = f"http://127.0.0.1:{self.metrics_port}/metrics"
        self.process: subprocess.Popen[bytes] | None = None
        tools = PACKAGE_ROOT / ".tools" / "bin"
        self.env: dict[str, str] = {
            **os.environ,
            "PATH": f"{tools}{os.pathsep}{os.environ.get('PATH', '')}",
            "OPENFAAS_URL": self.gateway_url,
            "OPENFAAS_CONFIG": str(root / "faas-cli"),
        }

    # ---- what tests use -----------------------------------------------------------------------------------

    def secret(self, name: str) -> str:
        return (self.secrets_dir / name).read_text().strip()

    @property
    def auth(self) -> tuple[str, str]:
        return ("admin", self.secret("basic-auth-password"))

    def supervisor(self) -> Any:
        from supervisor.xmlrpc import SupervisorTransport

        transport = SupervisorTransport(None, None, f"unix://{self.socket}")
        return xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport).supervisor

    def stop_component(self, name: str) -> None:
        self.supervisor().stopProcess(name, True)

    def start_component(self, name: str, wait: bool = True) -> None:
        self.supervisor().startProcess(name, wait)

    # ---- lifecycle ----------------------------------------------------------------------------------------

    def faas_env(self) -> dict[str, str]:
        return {
            "FAAS_BIND": "127.0.0.1",
            "FAAS_GATEWAY_PORT": str(self.gateway_port),
            "FAAS_METRICS_PORT": str(self.metrics_port),
            "FAAS_STATE_DIR": str(self.state_dir),
            "FAAS_SUPERVISOR_URL": f"unix://{self.socket}",
            "FAAS_FUNCTIONS_PATH": os.pathsep.join(str(p) for p in self.functions_path),
            "FAAS_TEMPLATE_DIR": str(PACKAGE_ROOT / "templates" / "python3-http"),
            "FAAS_PYTHON": sys.executable,
            "FAAS_SECRETS_DIR": str(self.secrets_dir),
            "FAAS_REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "FAAS_REDIS_PASSWORD_FILE": str(self.secrets_dir / "redis-password"),
            "FAAS_FUNCTION_PORT_BASE": str(self.function_port_base),
            "FAAS_FUNCTION_PORT_COUNT": str(self.port_count),
            "FAAS_LOG_DIR": str(self.log_dir),
            "FAAS_MAX_BODY_BYTES": str(1024 * 1024),
            "FAAS_CRON_REFRESH": "1",
            "FAAS_READY_TIMEOUT": "10",
        }

    def _write_config(self) -> Path:
        for folder in (self.secrets_dir, self.state_dir / "supervisor", self.log_dir, self.root / "redis"):
            folder.mkdir(parents=True, exist_ok=True)
        os.chmod(self.secrets_dir, 0o700)
        for name in ("basic-auth-password", "redis-password"):
            path = self.secrets_dir / name
            path.write_text(pysecrets.token_urlsafe(24))
            os.chmod(path, 0o600)
        redis_conf = self.root / "redis" / "redis.conf"
        redis_conf.write_text(
            f"bind 127.0.0.1\nport {self.redis_port}\nrequirepass {self.secret('redis-password')}\n"
            f"dir {self.root / 'redis'}\nsave \"\"\nappendonly no\n"
        )
        os.chmod(redis_conf, 0o600)
        python = sys.executable
        programs = {
            "redis": f"{shutil.which('redis-server') or 'redis-server'} {redis_conf}",
            "gateway": f"{python} -u -m faas.gateway",
            "faas-async": f"{python} -u -m faas.async_worker",
            "faas-cron": f"{python} -u -m faas.cron",
        }
        lines = [
            "[unix_http_server]",
            f"file={self.socket}",
            "chmod=0700",
            "[supervisord]",
            f"logfile={self.log_dir / 'supervisord.log'}",
            f"pidfile={self.root / 'supervisord.pid'}",
            f"childlogdir={self.log_dir}",
            "nodaemon=true",
            "[rpcinterface:supervisor]",
            "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
            "[supervisorctl]",
            f"serverurl=unix://{self.socket}",
        ]
        for name, command in programs.items():
            lines += [
                f"[program:{name}]",
                f"command={command}",
                f"directory={PACKAGE_ROOT}",
                "autorestart=true",
                "startsecs=1",
                "stopasgroup=true",
                "killasgroup=true",
                "redirect_stderr=true",
                f"stdout_logfile={self.log_dir / (name + '.log')}",
                f"priority={10 if name == 'redis' else 20}",
            ]
        lines += ["[include]", f"files = {self.state_dir / 'supervisor'}/*.conf", ""]
        conf = self.root / "supervisord.conf"
        conf.write_text("\n".join(lines))
        return conf

    def start(self, timeout: float = 30.0) -> LocalFaaS:
        conf = self._write_config()
        env = {**os.environ, **self.faas_env(), "PYTHONPATH": str(PACKAGE_ROOT)}
        supervisord = Path(sys.executable).with_name("supervisord")
        self.process = subprocess.Popen(
            [str(supervisord), "-c", str(conf)],
            env=env,
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
    paths = functions_path or [PACKAGE_ROOT / "functions", PACKAGE_ROOT / "tests" / "functions"]
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
