"""Start, wait for, deploy to, seed and stop an instance."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
import xmlrpc.client
from pathlib import Path

import requests
from tenacity import RetryError, retry, retry_if_exception_type, stop_after_delay, wait_fixed

from ops import secrets
from ops.instance import REPO, Instance
from ops.programs import STORES, Program
from ops.render import render
from ops.supervisor import connect, is_running, processes


class StackError(RuntimeError):
    """Something a person must fix before the stack can start; the message says what."""


def _port_in_use(port: int, kind: int = socket.SOCK_STREAM) -> bool:
    with socket.socket(socket.AF_INET, kind) as probe:
        # Servers bind with SO_REUSEADDR, so connections lingering in TIME_WAIT do not block them either.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            return exc.errno == errno.EADDRINUSE
    return False


def check_ports(instance: Instance, listed: list[Program]) -> None:
    busy = []
    for program in listed:
        if program.port and _port_in_use(program.port):
            busy.append(f"port {program.port} ({program.name})")
    if "coturn" in {p.name for p in listed} and _port_in_use(instance.ports["turn"], socket.SOCK_DGRAM):
        busy.append(f"udp port {instance.ports['turn']} (coturn)")
    if busy:
        raise StackError(
            "Cannot start: " + ", ".join(busy) + " already in use. Stop whatever holds it (`make down` stops a "
            "running FLMnCHLL), or choose other ports with the matching environment variable "
            "(FRONT_PORT, GATEWAY_PORT, MONGO_PORT, REDIS_PORT, TUSD_PORT, PEER_PORT, TURN_PORT, ...)."
        )


def start_supervisord(instance: Instance, foreground: bool) -> subprocess.Popen[bytes] | None:
    """Render configs and start supervisord; in the foreground it is our child, else a daemon."""
    if is_running(instance):
        raise StackError(f"The '{instance.name}' stack is already running. Run `make down` first.")
    listed = render(instance)
    check_ports(instance, listed)
    conf = instance.run_dir / "supervisord.conf"
    command = [instance.python, "-m", "supervisor.supervisord", "-c", str(conf)]
    env = {**os.environ, **instance.environment()}
    if foreground:
        return subprocess.Popen([*command, "-n"], cwd=REPO, env=env, start_new_session=True)
    subprocess.run(command, cwd=REPO, env=env, check=True)
    return None


def wait_ready(instance: Instance, timeout: float = 90.0) -> None:
    """Wait until supervisord reports every program running and each listening port answers."""
    deadline = time.monotonic() + timeout
    waiting: list[str] = []
    while time.monotonic() < deadline:
        waiting = []
        infos = processes(instance) if instance.supervisor_socket.exists() else []
        if not infos:
            waiting.append("supervisord")
        for info in infos:
            if info["group"].startswith("fn-"):
                continue
            if info["statename"] != "RUNNING":
                waiting.append(f"{info['name']} ({info['statename'].lower()})")
        if not waiting:
            try:
                if requests.get(instance.url("gateway") + "/healthz", timeout=2).ok:
                    return
                waiting.append("gateway")
            except requests.RequestException:
                waiting.append("gateway")
        time.sleep(0.3)
    raise StackError("Timed out waiting for: " + ", ".join(waiting) + f". See {instance.logs_dir}/NAME.log.")


def wait_listening(instance: Instance, component: str, timeout: float = 60.0) -> None:
    """Wait until a component accepts connections (some report running well before they listen)."""
    port = instance.ports[component]

    @retry(stop=stop_after_delay(timeout), wait=wait_fixed(0.2), retry=retry_if_exception_type(OSError))
    def connect_once() -> None:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            pass

    try:
        connect_once()
    except RetryError:
        raise StackError(f"{component} is not listening on port {port}; "
                         f"see {instance.logs_dir}/{component}.log.") from None


def faas_cli(instance: Instance, *args: str, input: bytes | None = None, check: bool = True,
             ) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, **instance.environment(), "OPENFAAS_CONFIG": str(instance.run_dir / "openfaas")}
    command = [str(instance.tools_bin / "faas-cli"), *args]
    if args[:1] == ("version",) and "--warn-update=false" not in args:
        command.append("--warn-update=false")  # never look for updates online
    return subprocess.run(command, cwd=REPO, env=env, input=input, capture_output=True, check=check, timeout=300)


def link_templates() -> None:
    """faas-cli reads a function's template from ./template/LANG; ours live in templates/."""
    link = REPO / "template"
    if not link.exists():
        link.symlink_to("templates", target_is_directory=True)


def _stack_fingerprint(instance: Instance, stack_file: Path) -> str:
    """What a deployment depends on besides the code: the stack file and the environment it is filled from."""
    env = sorted(instance.environment().items())
    return hashlib.sha256(stack_file.read_bytes() + repr(env).encode()).hexdigest()


def deploy(instance: Instance, stack_file: Path | None = None, *, if_changed: bool = False) -> None:
    """Deploy every function in `stack_file` through the gateway's OpenFaaS API, with the real faas-cli.

    With `if_changed`, a stack file and environment identical to the last deployment are not deployed again:
    a freshly started supervisord has already started every deployed function from the current code.
    """
    stack_file = stack_file or Path(os.environ.get("FLMNCHLL_STACK_FILE", REPO / "stack.yml"))
    marker = instance.faas_state_dir / f"deployed-{stack_file.stem}.sha256"
    fingerprint = _stack_fingerprint(instance, stack_file)
    if if_changed and marker.exists() and marker.read_text() == fingerprint:
        return
    link_templates()
    password = secrets.read(instance.secrets_dir, "basic-auth-password").encode()
    faas_cli(instance, "login", "--username", "admin", "--password-stdin", "-g", instance.url("gateway"),
             input=password)
    result = faas_cli(instance, "deploy", "-f", str(stack_file), "-g", instance.url("gateway"), check=False)
    if result.returncode != 0:
        marker.unlink(missing_ok=True)
        raise StackError("Deploying functions failed:\n" + (result.stdout + result.stderr).decode(errors="replace"))
    marker.write_text(fingerprint)


def wait_functions(instance: Instance, timeout: float = 60.0) -> None:
    """Wait until every deployed function has all its replicas available."""
    auth = ("admin", secrets.read(instance.secrets_dir, "basic-auth-password"))
    deadline = time.monotonic() + timeout
    pending: list[str] = []
    while time.monotonic() < deadline:
        listed = requests.get(instance.url("gateway") + "/system/functions", auth=auth, timeout=5).json()
        pending = [f["name"] for f in listed if f.get("availableReplicas", 0) < max(1, f.get("replicas", 1))]
        if not pending:
            return
        time.sleep(0.3)
    raise StackError("These functions did not start: " + ", ".join(pending) + f" (see {instance.logs_dir}).")


def run_module(instance: Instance, module: str, *args: str) -> None:
    """Run one of the project's Python entry points with the instance's settings."""
    env = {**os.environ, **instance.environment()}
    subprocess.run([instance.python, "-m", module, *args], cwd=REPO, env=env, check=True)


def stop(instance: Instance, timeout: float = 60.0) -> bool:
    """Ask supervisord to stop everything and exit; True when it was running."""
    pid_file = instance.run_dir / "supervisord.pid"
    if not is_running(instance):
        return False
    pid = int(pid_file.read_text()) if pid_file.exists() else None
    deadline = time.monotonic() + timeout
    supervisor = connect(instance)

    def running(groups: set[str] | None = None) -> set[str]:
        return {p["group"] for p in supervisor.getAllProcessInfo()
                if p["statename"] in ("RUNNING", "STARTING", "BACKOFF", "STOPPING")
                and (groups is None or p["group"] in groups)}

    try:
        # supervisord's own shutdown stops one group per turn of its loop, a second each (35 of them here), so
        # every user of the stores is asked at once, then the stores (each saving its data), then supervisord
        with contextlib.suppress(OSError, xmlrpc.client.Error):
            for phase in (running() - set(STORES), set(STORES)):
                for group in running(phase):
                    supervisor.stopProcessGroup(group, False)
                while running(phase) and time.monotonic() < deadline:
                    time.sleep(0.2)
    finally:
        with contextlib.suppress(OSError, xmlrpc.client.Error):
            supervisor.shutdown()  # whatever is left, supervisord stops in its own order
    while pid and time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.2)
    if pid:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return True


def fail(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(1)
