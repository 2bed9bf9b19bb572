"""Secret files: one file per secret, mode 0600, names safe to use as file names.

The gateway's `/system/secrets` API and the per-function secret folders both go through here, so the rules
for names and permissions live in one place.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from process_settings import SecretNameError, secret_name
from process_settings import read_secret as read_secret_file

PROTECTED = frozenset({"basic-auth-password"})
SecretError = SecretNameError
check_name = secret_name


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
        return sorted(p.name for p in self.folder.iterdir() if p.is_file() and _valid(p.name))

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
    """Read one of the platform's own secrets (the one reader, process_settings), or `default`."""
    value = read_secret_file(folder, name)
    return default if value is None else value


def _valid(name: str) -> bool:
    try:
        secret_name(name)
    except SecretNameError:
        return False
    return True
