"""What the gateway's front hands to its handlers and gets back: whole HTTP messages, headers as bytes."""

from __future__ import annotations

from dataclasses import dataclass, field
from http import HTTPStatus

Headers = list[tuple[bytes, bytes]]
REASONS = {status.value: status.phrase for status in HTTPStatus}


@dataclass
class Request:
    """One parsed request; `target` is the raw request-target (path and query, still percent-encoded)."""

    method: str
    target: bytes
    version: str
    headers: Headers
    body: bytes
    peer: str
    keep_alive: bool = True


@dataclass
class Reply:
    """A whole response; the front adds the framing headers (Content-Length, Connection, Date)."""

    status: int
    headers: Headers = field(default_factory=list)
    body: bytes = b""

    @classmethod
    def text(cls, status: int, message: str, extra: Headers | None = None) -> Reply:
        return cls(status, [(b"Content-Type", b"text/plain; charset=utf-8"), *(extra or [])], message.encode())
