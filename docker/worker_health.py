"""Container health of an RQ worker: Redis answers and a worker of this container is registered and alive.

A worker that lost Redis or whose registration vanished takes no jobs, so the orchestrator should restart it;
a worker busy on a long transcode is still registered and stays healthy.
"""

from __future__ import annotations

import socket
import sys

from rq import Worker

from flmnchll.content import jobs


def main() -> int:
    try:
        connection = jobs.connection()
        connection.ping()
        host = socket.gethostname()
        mine = [w for w in Worker.all(connection=connection) if w.name.endswith(f"@{host}")]
    except Exception as exc:  # any failure is "unhealthy"; the reason goes to the health log
        print(f"unhealthy: {type(exc).__name__}: {exc}")
        return 1
    if not mine:
        print(f"unhealthy: no worker registered for {host}")
        return 1
    print(f"healthy: {', '.join(w.name for w in mine)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
