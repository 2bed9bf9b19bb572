"""What the gateway's front hands to its handlers and gets back: HTTP messages, headers as bytes."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from http import HTTPStatus
from urllib.parse import parse_qsl, unquote

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

    def header(self, name: str) -> str | None:
        """The first value of a header, or None."""
        wanted = name.lower().encode()
        for key, value in self.headers:
            if key.lower() == wanted:
                return value.decode("latin-1")
        return None

    @property
    def path(self) -> str:
        """The path, percent-decoded."""
        return unquote(self.target.partition(b"?")[0].decode("latin-1"))

    @property
    def query(self) -> dict[str, str]:
        """The first value of each query parameter."""
        pairs = parse_qsl(self.target.partition(b"?")[2].decode("latin-1"), keep_blank_values=True)
        return {key: value for key, value in reversed(pairs)}


@dataclass
class Reply:
    """A response; the front adds the framing headers (Content-Length, Connection, Date).

    With `stream`, the body is what it yields, sent as it comes, and the connection ends with it (followed logs).
    """

    status: int
    headers: Headers = field(default_factory=list)
    body: bytes = b""
    stream: AsyncIterator[bytes] | None = None

    @classmethod
    def text(cls, status: int, message: str, extra: Headers | None = None) -> Reply:
        return cls(status, [(b"Content-Type", b"text/plain; charset=utf-8"), *(extra or [])], message.encode())

    @classmethod
    def json(cls, data: object, status: int = 200) -> Reply:
        return cls(status, [(b"Content-Type", b"application/json")], json.dumps(data).encode())
