"""Function logs for `/system/logs`: lines of `fn-NAME.log` as OpenFaaS log messages (newline-delimited JSON)."""

from __future__ import annotations

import json
import os
import time
from collections import deque
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from faas.settings import NAMESPACE

FOLLOW_POLL = 0.25
HEARTBEAT = 5.0


def _stamp(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat().replace("+00:00", "Z")


def _message(name: str, text: str, epoch: float) -> bytes:
    item = {"name": name, "namespace": NAMESPACE, "instance": f"fn-{name}", "timestamp": _stamp(epoch), "text": text}
    return (json.dumps(item) + "\n").encode()


def stream(
    log_file: Path,
    name: str,
    tail: int | None,
    since: datetime | None,
    follow: bool,
    keep_going: Callable[[], bool] = lambda: True,
) -> Iterator[bytes]:
    """Yield past lines (the last `tail`, or all), then new ones while `follow` and `keep_going()`."""
    try:
        handle = log_file.open("rb")
    except FileNotFoundError:
        handle = None
    position = 0
    if handle is not None:
        with handle:
            mtime = os.fstat(handle.fileno()).st_mtime
            if since is None or mtime >= since.timestamp():
                lines: deque[bytes] | list[bytes] = deque(handle, maxlen=tail) if tail and tail > 0 else list(handle)
                for line in lines:
                    yield _message(name, line.decode("utf-8", "replace").rstrip("\r\n"), mtime)
            position = handle.tell()
    if not follow:
        return
    pending = b""
    quiet_since = time.monotonic()
    while keep_going():
        try:
            size = log_file.stat().st_size
        except FileNotFoundError:
            size = 0
        if size < position:  # rotated or truncated: start over from the new file's beginning
            position = 0
        if size > position:
            with log_file.open("rb") as handle:
                handle.seek(position)
                chunk = handle.read(size - position)
                position = handle.tell()
            pending += chunk
            *complete, pending = pending.split(b"\n")
            now = time.time()
            for line in complete:
                yield _message(name, line.decode("utf-8", "replace").rstrip("\r"), now)
            quiet_since = time.monotonic()
        else:
            time.sleep(FOLLOW_POLL)
            if time.monotonic() - quiet_since > HEARTBEAT:
                # A bare newline is skipped by JSON stream readers, and writing it lets the server notice a
                # client that went away.
                quiet_since = time.monotonic()
                yield b"\n"
