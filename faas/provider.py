"""The provider: turns deployments into supervisord program groups of function processes.

Each function `NAME` becomes `<state>/supervisor/fn-NAME.conf` (program `fn-NAME`, one process per replica,
each on its own port) applied through supervisord's XML-RPC API, plus a runtime folder holding a `function`
symlink to the source, the environment to start with, and links to only the secrets it asked for.
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
import time
from pathlib import Path
from typing import Any

from faas.registry import Registry
from faas.secrets import SecretStore, check_name
from faas.settings import Settings
from faas.spec import FunctionSpec, SpecError
from faas.supervisor_api import GROUP_PREFIX, Supervisor, SupervisorError

log = logging.getLogger("faas.provider")

ALIVE_STATES = frozenset({"STARTING", "RUNNING", "BACKOFF"})


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


def group_name(service: str) -> str:
    return f"{GROUP_PREFIX}{service}"


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
        self.changing: set[str] = set()

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
            counts[group[len(GROUP_PREFIX):]] = sum(
                1 for info in infos if info["statename"] == "RUNNING" and _listening(info["name"])
            )
        return counts

    def states(self, service: str) -> list[str]:
        return [info["statename"] for info in self.supervisor.processes(group_name(service))]

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
            self._apply(spec, restart=True)
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
            self._apply(spec, restart=False)
            return spec

    def remove(self, service: str) -> None:
        with self._lock:
            current = self.registry.get(service)
            if current is None:
                raise LookupError(service)
            self._conf_path(service).unlink(missing_ok=True)
            try:
                self.supervisor.update(only={group_name(service)})
            except SupervisorError as exc:
                raise ProviderError(str(exc)) from exc
            finally:
                self.registry.remove(service)
            shutil.rmtree(self._runtime(service), ignore_errors=True)

    def reconcile(self) -> None:
        """Make supervisord's function groups match the registry (used when the gateway starts)."""
        with self._lock:
            wanted = {group_name(spec.service) for spec in self.registry.all()}
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

    def wait_available(self, service: str, timeout: float) -> bool:
        """Wait until at least one process of the function is RUNNING; False when none can come up."""
        deadline = time.monotonic() + timeout
        while True:
            states = self.states(service)
            if "RUNNING" in states:
                return True
            if not ALIVE_STATES.intersection(states) or time.monotonic() >= deadline:
                return False
            time.sleep(0.05)

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

    def _apply(self, spec: FunctionSpec, restart: bool) -> None:
        """Write runtime folder, program config and registry entry, then let supervisord act on them.

        A redeploy restarts the processes even when their program config is unchanged, since the
        environment or the code they start from may have changed.
        """
        group = group_name(spec.service)
        conf = self._conf_path(spec.service)
        old_conf = conf.read_text() if conf.exists() else None
        self._write_runtime(spec)
        self._write_conf(spec)
        self.changing.add(spec.service)
        try:
            done = self.supervisor.update(only={group})
            if restart and spec.replicas > 0 and group not in done["added"] + done["changed"]:
                self.supervisor.call("stopProcessGroup", group, True)
                self.supervisor.call("startProcessGroup", group, False)
        except SupervisorError as exc:
            if old_conf is None:
                conf.unlink(missing_ok=True)
            else:
                _write_if_changed(conf, old_conf)
            raise ProviderError(str(exc)) from exc
        finally:
            self.changing.discard(spec.service)
        self.registry.put(spec)

    def _runtime(self, service: str) -> Path:
        return self.settings.runtime_dir / service

    def _conf_path(self, service: str) -> Path:
        return self.settings.supervisor_dir / f"{group_name(service)}.conf"

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
        command = f"{_ini(shlex.quote(self.settings.python))} -u -m faas.launch %(process_num)d"
        lines = [
            f"[program:{group_name(spec.service)}]",
            f"command={command}",
            "process_name=%(program_name)s-%(process_num)d",
            f"numprocs={max(1, spec.replicas)}",
            f"numprocs_start={spec.port_start}",
            f"directory={_ini(str(runtime))}",
            f'environment=PYTHONPATH="{_ini(pythonpath)}",PYTHONUNBUFFERED="1"',
            f"autostart={'true' if spec.replicas > 0 else 'false'}",
            "autorestart=true",
            "startsecs=1",
            "startretries=5",
            "stopsignal=TERM",
            "stopwaitsecs=5",
            "stopasgroup=true",
            "killasgroup=true",
            "redirect_stderr=true",
            f"stdout_logfile={_ini(str(self.settings.log_dir / f'fn-{spec.service}.log'))}",
            "stdout_logfile_maxbytes=10MB",
            "stdout_logfile_backups=2",
            "",
        ]
        _write_if_changed(self._conf_path(spec.service), "\n".join(lines))
