"""Configuration of the FaaS processes, read once from the environment.

Every knob is an environment variable so the same code runs under any instance's supervisord.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from faas.callback_allow import DEFAULT_ALLOW, CallbackAllowList

NAMESPACE = "openfaas-fn"
PACKAGE_ROOT = Path(__file__).resolve().parent.parent


def _int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from exc


def _path(env: dict[str, str], name: str, default: Path) -> Path:
    raw = env.get(name, "").strip()
    return Path(raw).resolve() if raw else default


@dataclass(frozen=True)
class Settings:
    """All FaaS settings; build with `Settings.from_env()`."""

    bind: str = "127.0.0.1"
    gateway_port: int = 8080
    metrics_port: int = 8082
    state_dir: Path = field(default_factory=lambda: PACKAGE_ROOT / ".run" / "faas")
    supervisor_url: str = ""
    supervisor_user: str = ""
    supervisor_password: str = ""
    functions_path: tuple[Path, ...] = ()
    template_dir: Path = field(default_factory=lambda: PACKAGE_ROOT / "templates" / "python3-http")
    python: str = "python3"
    secrets_dir: Path = field(default_factory=lambda: PACKAGE_ROOT / ".secrets")
    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_password_file: Path | None = None
    function_port_base: int = 8100
    function_port_count: int = 300
    log_dir: Path = field(default_factory=lambda: PACKAGE_ROOT / ".logs")
    max_body_bytes: int = 64 * 1024 * 1024
    gateway_threads: int = 48
    default_timeout: float = 60.0
    ready_timeout: float = 10.0
    cron_refresh: float = 5.0
    callback_allow: CallbackAllowList = field(default_factory=lambda: CallbackAllowList.parse(DEFAULT_ALLOW))
    repo_root: Path = PACKAGE_ROOT

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        """Read the FAAS_* variables (unset or empty ones take their defaults)."""
        env = dict(os.environ if env is None else env)
        base = cls()
        functions_path = tuple(
            Path(p).resolve() for p in env.get("FAAS_FUNCTIONS_PATH", "").split(os.pathsep) if p.strip()
        ) or (PACKAGE_ROOT / "functions",)
        password_file = env.get("FAAS_REDIS_PASSWORD_FILE", "").strip()
        secrets_dir = _path(env, "FAAS_SECRETS_DIR", base.secrets_dir)
        return cls(
            bind=env.get("FAAS_BIND", "").strip() or base.bind,
            gateway_port=_int(env, "FAAS_GATEWAY_PORT", base.gateway_port),
            metrics_port=_int(env, "FAAS_METRICS_PORT", base.metrics_port),
            state_dir=_path(env, "FAAS_STATE_DIR", base.state_dir),
            supervisor_url=env.get("FAAS_SUPERVISOR_URL", "").strip(),
            supervisor_user=env.get("FAAS_SUPERVISOR_USER", "").strip(),
            supervisor_password=env.get("FAAS_SUPERVISOR_PASSWORD", ""),
            functions_path=functions_path,
            template_dir=_path(env, "FAAS_TEMPLATE_DIR", base.template_dir),
            python=env.get("FAAS_PYTHON", "").strip() or _default_python(),
            secrets_dir=secrets_dir,
            redis_url=env.get("FAAS_REDIS_URL", "").strip() or base.redis_url,
            redis_password_file=Path(password_file).resolve() if password_file else secrets_dir / "redis-password",
            function_port_base=_int(env, "FAAS_FUNCTION_PORT_BASE", base.function_port_base),
            function_port_count=_int(env, "FAAS_FUNCTION_PORT_COUNT", base.function_port_count),
            log_dir=_path(env, "FAAS_LOG_DIR", base.log_dir),
            max_body_bytes=_int(env, "FAAS_MAX_BODY_BYTES", base.max_body_bytes),
            gateway_threads=_int(env, "FAAS_GATEWAY_THREADS", base.gateway_threads),
            default_timeout=float(env.get("FAAS_DEFAULT_TIMEOUT", "").strip() or base.default_timeout),
            ready_timeout=float(env.get("FAAS_READY_TIMEOUT", "").strip() or base.ready_timeout),
            cron_refresh=float(env.get("FAAS_CRON_REFRESH", "").strip() or base.cron_refresh),
            callback_allow=CallbackAllowList.parse(env.get("ASYNC_CALLBACK_ALLOW", "").strip()
                                                   or DEFAULT_ALLOW),
        )

    @property
    def gateway_url(self) -> str:
        """Where the gateway answers; the async worker and cron connector call functions through it."""
        host = "127.0.0.1" if self.bind in ("0.0.0.0", "") else self.bind
        return f"http://{host}:{self.gateway_port}"

    @property
    def registry_file(self) -> Path:
        return self.state_dir / "functions.json"

    @property
    def supervisor_dir(self) -> Path:
        return self.state_dir / "supervisor"

    @property
    def runtime_dir(self) -> Path:
        return self.state_dir / "runtime"


def _default_python() -> str:
    import sys

    return sys.executable
