"""The one client of supervisord's XML-RPC API (the calls `supervisorctl update/status` makes).

The gateway's provider, the local stack (`ops`) and the test harnesses all talk to supervisord through here.
"""

from __future__ import annotations

import threading
import xmlrpc.client
from collections.abc import Callable
from typing import Any

from supervisor.xmlrpc import SupervisorTransport

GROUP_PREFIX = "fn-"


class SupervisorError(RuntimeError):
    """supervisord could not be reached or refused a call."""


def connect(url: str, user: str = "", password: str = "") -> Any:
    """supervisord's `supervisor.*` namespace at `url` (`unix:///path/to/socket` or `http://...`)."""
    transport = SupervisorTransport(user or None, password or None, url)
    return xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport, allow_none=True).supervisor


def is_running(url: str) -> bool:
    """supervisord answers at `url` and is not shutting down."""
    try:
        return connect(url).getState()["statename"] == "RUNNING"
    except (OSError, xmlrpc.client.Error):
        return False


class Supervisor:
    """Calls supervisord over its socket; one call at a time because the transport keeps one connection."""

    def __init__(self, url: str, user: str = "", password: str = "") -> None:
        if not url:
            raise SupervisorError("FAAS_SUPERVISOR_URL is not set")
        self._url, self._user, self._password = url, user, password
        self._lock = threading.Lock()
        self._proxy: Any = None

    def _server(self) -> Any:
        if self._proxy is None:
            self._proxy = connect(self._url, self._user, self._password)
        return self._proxy

    def call(self, method: str, *args: Any) -> Any:
        with self._lock:
            try:
                return getattr(self._server(), method)(*args)
            except xmlrpc.client.Fault as exc:
                raise SupervisorError(f"supervisord {method}: {exc.faultString}") from exc
            except OSError as exc:
                self._proxy = None
                raise SupervisorError(f"supervisord at {self._url} unreachable: {exc}") from exc

    def update(self, keep: Callable[[str], bool] | None = None) -> dict[str, list[str]]:
        """Apply changed include files to the function groups, like `supervisorctl update`.

        Only groups named `fn-*` are touched (and of those, only the ones `keep` accepts when given): the
        rest of the instance's programs are not ours to restart.
        """
        added, changed, removed = self.call("reloadConfig")[0]

        def mine(group: str) -> bool:
            return group.startswith(GROUP_PREFIX) and (keep is None or keep(group))

        done: dict[str, list[str]] = {"added": [], "changed": [], "removed": []}
        for group in filter(mine, removed):
            self._stop_and_remove(group)
            done["removed"].append(group)
        for group in filter(mine, changed):
            self._stop_and_remove(group)
            self.call("addProcessGroup", group)
            done["changed"].append(group)
        for group in filter(mine, added):
            self.call("addProcessGroup", group)
            done["added"].append(group)
        return done

    def _stop_and_remove(self, group: str) -> None:
        try:
            self.call("stopProcessGroup", group, True)
        except SupervisorError as exc:
            if "BAD_NAME" not in str(exc):
                raise
        try:
            self.call("removeProcessGroup", group)
        except SupervisorError as exc:
            if "BAD_NAME" not in str(exc):
                raise

    def group_states(self) -> dict[str, list[dict[str, Any]]]:
        """Process info of every function group, keyed by group name."""
        groups: dict[str, list[dict[str, Any]]] = {}
        for info in self.call("getAllProcessInfo"):
            if info["group"].startswith(GROUP_PREFIX):
                groups.setdefault(info["group"], []).append(info)
        return groups

