"""Configuration of the FaaS processes, read once from the environment.

Every knob is an environment variable so the same code runs under any instance's supervisord.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from faas.callback_allow import DEFAULT_ALLOW, CallbackAllowList
from process_settings import env_float, env_int, env_path, env_str

NAMESPACE = "openfaas-fn"
PACKAGE_ROOT = Path(__file__).resolve().parent.parent


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
        password_file = env_str("FAAS_REDIS_PASSWORD_FILE", "", env)
        secrets_dir = env_path("FAAS_SECRETS_DIR", base.secrets_dir, env)
        return cls(
            bind=env_str("FAAS_BIND", base.bind, env),
            gateway_port=env_int("FAAS_GATEWAY_PORT", base.gateway_port, env),
            metrics_port=env_int("FAAS_METRICS_PORT", base.metrics_port, env),
            state_dir=env_path("FAAS_STATE_DIR", base.state_dir, env),
            supervisor_url=env_str("FAAS_SUPERVISOR_URL", "", env),
            supervisor_user=env_str("FAAS_SUPERVISOR_USER", "", env),
            supervisor_password=env.get("FAAS_SUPERVISOR_PASSWORD", ""),
            functions_path=functions_path,
            template_dir=env_path("FAAS_TEMPLATE_DIR", base.template_dir, env),
            python=env_str("FAAS_PYTHON", "", env) or _default_python(),
            secrets_dir=secrets_dir,
            redis_url=env_str("FAAS_REDIS_URL", base.redis_url, env),
            redis_password_file=Path(password_file).resolve() if password_file else secrets_dir / "redis-password",
            function_port_base=env_int("FAAS_FUNCTION_PORT_BASE", base.function_port_base, env),
            function_port_count=env_int("FAAS_FUNCTION_PORT_COUNT", base.function_port_count, env),
            log_dir=env_path("FAAS_LOG_DIR", base.log_dir, env),
            max_body_bytes=env_int("FAAS_MAX_BODY_BYTES", base.max_body_bytes, env),
            gateway_threads=env_int("FAAS_GATEWAY_THREADS", base.gateway_threads, env),
            default_timeout=env_float("FAAS_DEFAULT_TIMEOUT", base.default_timeout, env),
            ready_timeout=env_float("FAAS_READY_TIMEOUT", base.ready_timeout, env),
            cron_refresh=env_float("FAAS_CRON_REFRESH", base.cron_refresh, env),
            callback_allow=CallbackAllowList.parse(env_str("ASYNC_CALLBACK_ALLOW", DEFAULT_ALLOW, env)),
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
