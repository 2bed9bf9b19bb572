"""Secret files: one file per secret, mode 0600, names safe to use as file names.

The gateway's `/system/secrets` API and the per-function secret folders both go through here, so the rules
for names and permissions live in one place.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

# Kubernetes secret names: DNS subdomain rules, which also keeps them safe as file names.
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
PROTECTED = frozenset({"basic-auth-password"})


class SecretError(ValueError):
    """A bad secret name or value."""


def check_name(name: object) -> str:
    """Return `name` if it is a valid secret name, else raise SecretError."""
    if not isinstance(name, str) or not _NAME.match(name) or ".." in name:
        raise SecretError(
            f"invalid secret name {name!r}: use lower case letters, digits, '-' and '.', starting and ending "
            "with a letter or digit"
        )
    return name


class SecretStore:
    """The secrets folder of one instance."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path(self, name: str) -> Path:
        return self.folder / check_name(name)

    def exists(self, name: str) -> bool:
        return self.path(name).is_file()

    def names(self) -> list[str]:
        """Names of all secrets (never their values)."""
        if not self.folder.is_dir():
            return []
        return sorted(p.name for p in self.folder.iterdir() if p.is_file() and _NAME.match(p.name))

    def read(self, name: str) -> bytes:
        return self.path(name).read_bytes()

    def write(self, name: str, value: bytes) -> None:
        """Write atomically with mode 0600 so a reader never sees a half-written or world-readable file."""
        target = self.path(name)
        self.folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=f".{name}.")
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(value)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def delete(self, name: str) -> bool:
        """Remove a secret; False when it did not exist."""
        target = self.path(name)
        if not target.is_file():
            return False
        target.unlink()
        return True


def read_secret(folder: Path, name: str, default: str | None = None) -> str | None:
    """Read one secret as text without its trailing newline (the platform's own secrets)."""
    try:
        return (folder / check_name(name)).read_text().rstrip("\r\n")
    except FileNotFoundError:
        return default
