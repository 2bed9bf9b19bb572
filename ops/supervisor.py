"""Talk to an instance's supervisord over its unix socket (XML-RPC), as supervisorctl does."""

from __future__ import annotations

import xmlrpc.client
from typing import Any

from supervisor.xmlrpc import SupervisorTransport

from ops.instance import Instance


def connect(instance: Instance) -> Any:
    transport = SupervisorTransport(None, None, f"unix://{instance.supervisor_socket}")
    return xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport)


def is_running(instance: Instance) -> bool:
    if not instance.supervisor_socket.exists():
        return False
    try:
        return connect(instance).supervisor.getState()["statename"] == "RUNNING"
    except (OSError, xmlrpc.client.Error):
        return False


def processes(instance: Instance) -> list[dict[str, Any]]:
    """supervisord's view of every process, or [] when it is not running."""
    if not is_running(instance):
        return []
    return connect(instance).supervisor.getAllProcessInfo()
