"""Generate the instance's secrets on first run: one 0600 file each, overridable by environment."""

from __future__ import annotations

import os
import secrets as random
from pathlib import Path

SECRETS = {
    "redis-password": "REDIS_PASSWORD",
    "internal-api-secret": "INTERNAL_API_SECRET",
    "basic-auth-password": "BASIC_AUTH_PASSWORD",
    "admin-password": "ADMIN_PASSWORD",
    "turn-secret": "TURN_SECRET",
    "media-secret": "MEDIA_SECRET",
    # The S3 storage backend's credentials (unused with local storage, but every function that signs media
    # links lists them, and OpenFaaS refuses to deploy a function whose secret does not exist).
    "s3-access-key": "S3_ACCESS_KEY",
    "s3-secret-key": "S3_SECRET_KEY",
}


def ensure_secrets(directory: Path) -> None:
    """Create missing secrets; an environment variable, when set, replaces the stored value."""
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    for name, env_var in SECRETS.items():
        path = directory / name
        override = os.environ.get(env_var)
        if override:
            _write(path, override)
        elif not path.exists():
            _write(path, random.token_urlsafe(24))


def _write(path: Path, value: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    path.chmod(0o600)


def read(directory: Path, name: str) -> str:
    return (directory / name).read_text().strip()
