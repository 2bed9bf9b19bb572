"""The instance's secrets: one 0600 file each, overridable by environment.

Generated on first run: the root secret (`internal-api-secret`) and the passwords. Every purpose key
(`flmnchll.keys`) is derived from the root and rewritten on every start, so changing the root (delete its file,
or set INTERNAL_API_SECRET) rotates them all; an install from before the keys were derived has its random
`turn-secret` and `media-secret` replaced once, ending the TURN credentials and media links issued before.
"""

from __future__ import annotations

import os
import secrets as random
from pathlib import Path

from flmnchll import keys
from process_settings import read_secret

GENERATED = {
    "redis-password": "REDIS_PASSWORD",
    keys.ROOT: "INTERNAL_API_SECRET",
    "basic-auth-password": "BASIC_AUTH_PASSWORD",
    "admin-password": "ADMIN_PASSWORD",
    # The S3 storage backend's credentials (unused with local storage, but every function that signs media
    # links lists them, and OpenFaaS refuses to deploy a function whose secret does not exist).
    "s3-access-key": "S3_ACCESS_KEY",
    "s3-secret-key": "S3_SECRET_KEY",
}
SECRETS = [*GENERATED, *keys.PURPOSES]


def ensure_secrets(directory: Path) -> None:
    """Create missing secrets and derive the purpose keys; an environment variable replaces a stored value."""
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    for name, env_var in GENERATED.items():
        path = directory / name
        override = os.environ.get(env_var)
        if override:
            keys.write_files({name: override}, directory)
        elif not path.exists():
            keys.write_files({name: random.token_urlsafe(24)}, directory)
    keys.write_files(keys.derive_all(read(directory, keys.ROOT)), directory)


def read(directory: Path, name: str) -> str:
    """One of the instance's secrets (they all exist once `ensure_secrets` ran)."""
    value = read_secret(directory, name)
    if value is None:
        raise FileNotFoundError(f"secret {name!r} is missing from {directory}")
    return value
