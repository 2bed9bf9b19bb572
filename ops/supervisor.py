"""An instance's supervisord, reached over its unix socket through the one client (faas.supervisor_api)."""

from __future__ import annotations

from typing import Any

from faas import supervisor_api
from ops.instance import Instance


def url(instance: Instance) -> str:
    return f"unix://{instance.supervisor_socket}"


def connect(instance: Instance) -> Any:
    """supervisord's `supervisor.*` calls for this instance."""
    return supervisor_api.connect(url(instance))


def is_running(instance: Instance) -> bool:
    return instance.supervisor_socket.exists() and supervisor_api.is_running(url(instance))


def processes(instance: Instance) -> list[dict[str, Any]]:
    """supervisord's view of every process, or [] when it is not running."""
    if not is_running(instance):
        return []
    return connect(instance).getAllProcessInfo()
