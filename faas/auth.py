"""Basic authentication of the `/system/*` API, as the OpenFaaS gateway does it (user `admin`)."""

from __future__ import annotations

import base64
import hmac
import threading
from pathlib import Path

USER = "admin"
REALM = 'Basic realm="Restricted"'


class BasicAuth:
    """Checks `Authorization: Basic` against the `basic-auth-password` secret file.

    The file is re-read when it changes, so rotating the password needs no gateway restart.
    """

    def __init__(self, password_file: Path) -> None:
        self.password_file = password_file
        self._lock = threading.Lock()
        self._cached: tuple[float, bytes] | None = None

    def _password(self) -> bytes | None:
        try:
            mtime = self.password_file.stat().st_mtime
        except FileNotFoundError:
            return None
        with self._lock:
            if self._cached is None or self._cached[0] != mtime:
                self._cached = (mtime, self.password_file.read_bytes().rstrip(b"\r\n"))
            return self._cached[1]

    def check(self, header: str | None) -> bool:
        """True when the header carries user `admin` and the right password."""
        expected = self._password()
        if not expected or not header or not header.startswith("Basic "):
            return False
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True)
        except ValueError:
            return False
        user, sep, password = decoded.partition(b":")
        if not sep:
            return False
        ok_user = hmac.compare_digest(user, USER.encode())
        ok_password = hmac.compare_digest(password, expected)
        return ok_user and ok_password
