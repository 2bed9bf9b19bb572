"""The provider: turns deployments into supervisord program groups of function processes.

Each function `NAME` becomes `<state>/supervisor/fn-NAME.conf` holding one program per replica,
`fn-NAME-PORT`, applied through supervisord's XML-RPC API, plus a runtime folder holding a `function` symlink
to the source, the environment to start with, and links to only the secrets it asked for. One program per
replica lets scaling add or remove replicas without restarting the others; calls in flight on a replica are
drained before it is stopped.
"""

from __future__ import annotations

import json
import logging
import os
import shlex
import shutil
import socket
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from faas.registry import Registry
from faas.secrets import SecretStore, check_name
from faas.settings import Settings
from faas.spec import FunctionSpec, SpecError
from faas.supervisor_api import GROUP_PREFIX, Supervisor, SupervisorError

log = logging.getLogger("faas.provider")



def _listening(process_name: str) -> bool:
    """Whether the process named `fn-NAME-PORT` accepts connections on PORT."""
    port = process_name.rsplit("-", 1)[-1]
    if not port.isdigit():
        return False
    try:
        with socket.create_connection(("127.0.0.1", int(port)), timeout=0.2):
            return True
    except OSError:
        return False


class ProviderError(RuntimeError):
    """The process manager failed to apply a change (answered with 500)."""


def replica_name(service: str, port: int) -> str:
    """The supervisord program (and group, and process) name of one replica."""
    return f"{GROUP_PREFIX}{service}-{port}"


def function_of(group: str) -> str | None:
    """`fn-NAME-PORT` → `NAME`."""
    base, dash, port = group.rpartition("-")
    if not group.startswith(GROUP_PREFIX) or not dash or not port.isdigit():
        return None
    return base[len(GROUP_PREFIX):]


def _log_name(service: str) -> str:
    return f"{GROUP_PREFIX}{service}.log"


def _ini(value: str) -> str:
    """Escape a value for supervisord's config, which treats `%` as interpolation."""
    return value.replace("%", "%%")


def _write_if_changed(path: Path, text: str, mode: int = 0o644) -> bool:
    try:
        if path.read_text() == text:
            return False
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


class Provider:
    """Deploys, updates, scales and removes functions; answers which replicas are up."""

    def __init__(self, settings: Settings, registry: Registry, supervisor: Supervisor) -> None:
        self.settings = settings
        self.registry = registry
        self.supervisor = supervisor
        self.secrets = SecretStore(settings.secrets_dir)
        self._lock = threading.RLock()
        self.changing: set[str] = set()  # functions whose replicas are being changed right now
        self.restarting: set[str] = set()  # ... and restarted: new calls wait for them
        # Waits until no call is in flight on the given ports (set by the gateway to its proxy's drain).
        self.drain: Callable[[list[int], float], None] = lambda ports, timeout: None

    # ---- lookups -------------------------------------------------------------------------------------------

    def find_source(self, service: str) -> Path | None:
        """The first `<folder>/NAME/handler.py` along FAAS_FUNCTIONS_PATH."""
        for folder in self.settings.functions_path:
            candidate = folder / service
            if (candidate / "handler.py").is_file():
                return candidate
        return None

    def available(self) -> dict[str, int]:
        """Replicas per function that are RUNNING and accept connections on their port.

        supervisord calls a process RUNNING once it has stayed up for `startsecs`; a slow import can leave
        it not yet listening, so the port is checked too.
        """
        counts: dict[str, int] = {}
        for group, infos in self.supervisor.group_states().items():
            service = function_of(group)
            if service is not None:
                up = sum(1 for info in infos if info["statename"] == "RUNNING" and _listening(info["name"]))
                counts[service] = counts.get(service, 0) + up
        return counts

    def states(self, service: str) -> list[str]:
        """supervisord states of the function's replica processes."""
        return [
            info["statename"]
            for group, infos in self.supervisor.group_states().items()
            if function_of(group) == service
            for info in infos
        ]

    # ---- changes -------------------------------------------------------------------------------------------

    def deploy(self, spec: FunctionSpec, update: bool) -> FunctionSpec:
        """Create (update=False) or replace (update=True) a function; validation happens before any write."""
        with self._lock:
            current = self.registry.get(spec.service)
            if update and current is None:
                raise LookupError(spec.service)
            source = self.find_source(spec.service)
            if source is None:
                folders = os.pathsep.join(str(p) for p in self.settings.functions_path)
                raise SpecError(
                    f"no source for function {spec.service!r}: expected {spec.service}/handler.py in one of "
                    f"FAAS_FUNCTIONS_PATH={folders}"
                )
            missing = [name for name in spec.secrets if not self._secret_exists(name)]
            if missing:
                raise SpecError(f"secret(s) not found: {', '.join(missing)}; create them with faas-cli secret create")
            spec.source = str(source)
            if current is not None:
                spec.created_at = current.created_at
                if current.replicas > 0:
                    spec.replicas = spec.clamp(current.replicas)
            self._place(spec, current)
            self._apply(spec, current, restart=True)
            return spec

    def scale(self, service: str, replicas: int) -> FunctionSpec:
        with self._lock:
            current = self.registry.get(service)
            if current is None:
                raise LookupError(service)
            wanted = current.clamp(replicas)
            if wanted == current.replicas:
                return current
            spec = FunctionSpec.from_json(current.to_json())
            spec.replicas = wanted
            self._place(spec, current)
            self._apply(spec, current, restart=False)
            return spec

    def remove(self, service: str) -> None:
        with self._lock:
            current = self.registry.get(service)
            if current is None:
                raise LookupError(service)
            self.registry.remove(service)  # new calls get 404 from here on
            self.drain(current.ports, self._drain_timeout(current))
            self._conf_path(service).unlink(missing_ok=True)
            try:
                self.supervisor.update(lambda group: function_of(group) == service)
            except SupervisorError as exc:
                raise ProviderError(str(exc)) from exc
            shutil.rmtree(self._runtime(service), ignore_errors=True)

    def reconcile(self) -> None:
        """Make supervisord's function groups match the registry (used when the gateway starts)."""
        with self._lock:
            wanted = {f"{GROUP_PREFIX}{spec.service}" for spec in self.registry.all()}
            for spec in self.registry.all():
                try:
                    self._write_runtime(spec)
                    self._write_conf(spec)
                except (OSError, SpecError) as exc:
                    log.error("cannot prepare function %s: %s", spec.service, exc)
            conf_dir = self.settings.supervisor_dir
            if conf_dir.is_dir():
                for conf in conf_dir.glob(f"{GROUP_PREFIX}*.conf"):
                    if conf.stem not in wanted:
                        conf.unlink()
            self.supervisor.update()

    # ---- internals -----------------------------------------------------------------------------------------

    def _secret_exists(self, name: str) -> bool:
        try:
            return self.secrets.exists(check_name(name))
        except ValueError:
            return False

    def _place(self, spec: FunctionSpec, current: FunctionSpec | None) -> None:
        """Give the function a block of ports large enough for its replicas, keeping its block when it fits."""
        need = max(1, spec.replicas)
        taken = [
            (other.port_start, other.port_start + other.port_slots)
            for other in self.registry.all()
            if other.service != spec.service and other.port_slots
        ]
        base = self.settings.function_port_base
        end = base + self.settings.function_port_count

        def free(start: int) -> bool:
            return start >= base and start + need <= end and all(start + need <= lo or start >= hi for lo, hi in taken)

        if current is not None and current.port_slots and free(current.port_start):
            spec.port_start, spec.port_slots = current.port_start, max(need, current.port_slots)
            if not free(spec.port_start) or spec.port_start + spec.port_slots > end:
                spec.port_slots = need
            return
        for start in range(base, end - need + 1):
            if free(start):
                spec.port_start, spec.port_slots = start, need
                return
        raise SpecError(f"no free block of {need} function ports left in {base}-{end - 1}")

    def _drain_timeout(self, spec: FunctionSpec) -> float:
        return min(spec.exec_timeout or self.settings.default_timeout, 30.0)

    def _apply(self, spec: FunctionSpec, previous: FunctionSpec | None, restart: bool) -> None:
        """Write runtime folder, program config and registry entry, then let supervisord act on them.

        Replicas that go away stop receiving calls first and are drained; a redeploy restarts the
        remaining ones (after draining them) even when their program config is unchanged, since the
        environment or the code they start from may have changed.
        """
        service = spec.service
        old_ports = previous.ports if previous else []
        dropped = [port for port in old_ports if port not in spec.ports]
        conf = self._conf_path(service)
        old_conf = conf.read_text() if conf.exists() else None
        self.changing.add(service)
        try:
            if dropped:
                self.registry.put(spec)  # the proxy stops choosing the dropped replicas
                self.drain(dropped, self._drain_timeout(spec))
            if restart and old_ports:
                self.restarting.add(service)
                self.drain(old_ports, self._drain_timeout(spec))
            self._write_runtime(spec)
            self._write_conf(spec)
            try:
                done = self.supervisor.update(lambda group: function_of(group) == service)
                if restart:
                    fresh = set(done["added"] + done["changed"])
                    for port in spec.ports:
                        group = replica_name(service, port)
                        if group not in fresh:
                            self.supervisor.call("stopProcessGroup", group, True)
                            self.supervisor.call("startProcessGroup", group, False)
            except SupervisorError as exc:
                if old_conf is None:
                    conf.unlink(missing_ok=True)
                else:
                    _write_if_changed(conf, old_conf)
                if previous is not None:
                    self.registry.put(previous)
                raise ProviderError(str(exc)) from exc
            self.registry.put(spec)
        finally:
            self.changing.discard(service)
            self.restarting.discard(service)

    def _runtime(self, service: str) -> Path:
        return self.settings.runtime_dir / service

    def _conf_path(self, service: str) -> Path:
        return self.settings.supervisor_dir / f"{GROUP_PREFIX}{service}.conf"

    def _write_runtime(self, spec: FunctionSpec) -> None:
        runtime = self._runtime(spec.service)
        runtime.mkdir(parents=True, exist_ok=True)
        link = runtime / "function"
        if (link.is_symlink() or link.exists()) and (not link.is_symlink() or os.readlink(link) != spec.source):
            link.unlink()
        if not link.is_symlink():
            link.symlink_to(spec.source, target_is_directory=True)
        secrets_dir = runtime / "secrets"
        secrets_dir.mkdir(exist_ok=True)
        os.chmod(secrets_dir, 0o700)
        for entry in secrets_dir.iterdir():
            if entry.name not in spec.secrets:
                entry.unlink()
        for name in spec.secrets:
            target = self.secrets.path(name)
            entry = secrets_dir / name
            if entry.is_symlink() and os.readlink(entry) == str(target):
                continue
            entry.unlink(missing_ok=True)
            entry.symlink_to(target)
        env: dict[str, Any] = {
            "template_index": str(self.settings.template_dir / "index.py"),
            "env": {
                **spec.env_vars,
                "fprocess": spec.env_process or "python index.py",
                "SECRETS_DIR": str(secrets_dir),
                "FAAS_FUNCTION_NAME": spec.service,
            },
        }
        _write_if_changed(runtime / "env.json", json.dumps(env, indent=2, sort_keys=True) + "\n", mode=0o600)

    def _write_conf(self, spec: FunctionSpec) -> None:
        runtime = self._runtime(spec.service)
        for path in (runtime, self.settings.repo_root, self.settings.log_dir):
            if '"' in str(path):
                raise SpecError(f"path {path} must not contain a double quote")
        self.settings.log_dir.mkdir(parents=True, exist_ok=True)
        pythonpath = os.pathsep.join([str(runtime), str(self.settings.repo_root)])
        python = _ini(shlex.quote(self.settings.python))
        lines = [f"; function {spec.service}: {spec.replicas} replica(s), written by the FaaS provider", ""]
        for port in spec.ports:
            lines += [
                f"[program:{replica_name(spec.service, port)}]",
                f"command={python} -u -m faas.launch {port}",
                f"directory={_ini(str(runtime))}",
                f'environment=PYTHONPATH="{_ini(pythonpath)}",PYTHONUNBUFFERED="1"',
                "autostart=true",
                "autorestart=true",
                "startsecs=1",
                "startretries=5",
                "stopsignal=TERM",
                "stopwaitsecs=5",
                "stopasgroup=true",
                "killasgroup=true",
                "redirect_stderr=true",
                f"stdout_logfile={_ini(str(self.settings.log_dir / _log_name(spec.service)))}",
                "stdout_logfile_maxbytes=10MB",
                "stdout_logfile_backups=2",
                "",
            ]
        _write_if_changed(self._conf_path(spec.service), "\n".join(lines))
