"""How every process of the project reads its settings and secrets: one loader, one secret reader.

Settings are environment variables (unset or empty means the default; a malformed number is an error naming
the variable). Secrets are one file each in a folder (OpenFaaS mounts them at /var/openfaas/secrets), read on
every call so that a rotated secret takes effect without a restart.

This package knows nothing of the platform or of films and imports only the standard library: the local FaaS
(`faas/`), the local stack (`ops/`) and the business code (`flmnchll/`) all use it, and the function and
worker images ship it beside `flmnchll/` (stack.yml `configuration.copy`, workers/Dockerfile).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

# Kubernetes secret names: DNS subdomain rules, which also keeps them safe as file names.
_SECRET_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")


class SecretNameError(ValueError):
    """A name that cannot be a secret's (and so could escape the secrets folder)."""


def secret_name(name: object) -> str:
    """Return `name` if it is a valid secret name, else raise SecretNameError."""
    if not isinstance(name, str) or not _SECRET_NAME.match(name) or ".." in name:
        raise SecretNameError(
            f"invalid secret name {name!r}: use lower case letters, digits, '-' and '.', starting and ending "
            "with a letter or digit"
        )
    return name


def read_secret(folder: Path, name: str) -> str | None:
    """The secret `name` in `folder` without surrounding whitespace, or None when it is not there."""
    try:
        return (folder / secret_name(name)).read_text().strip()
    except FileNotFoundError:
        return None


def _raw(name: str, env: Mapping[str, str] | None) -> str:
    return (os.environ if env is None else env).get(name, "").strip()


def env_str(name: str, default: str, env: Mapping[str, str] | None = None) -> str:
    return _raw(name, env) or default


def _parsed(name: str, default: Any, env: Mapping[str, str] | None, parse: Callable[[str], Any], what: str) -> Any:
    raw = _raw(name, env)
    if not raw:
        return default
    try:
        return parse(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be {what}, got {raw!r}") from exc


def env_int(name: str, default: int, env: Mapping[str, str] | None = None) -> int:
    return int(_parsed(name, default, env, int, "an integer"))


def env_float(name: str, default: float, env: Mapping[str, str] | None = None) -> float:
    return float(_parsed(name, default, env, float, "a number"))


def env_path(name: str, default: Path, env: Mapping[str, str] | None = None) -> Path:
    raw = _raw(name, env)
    return Path(raw).resolve() if raw else default
