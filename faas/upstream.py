"""Keep-alive HTTP/1.1 connections from the gateway to function processes, on the gateway's event loop.

Every invocation pays for this hop, so it is kept lean: one asyncio protocol per connection, responses parsed
by httptools (C), idle connections reused per port. An idle connection that the function process closes is
dropped as soon as the event loop sees it close, so a request is never sent on a connection known to be
dead, and never sent twice.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import cast

import httptools

MAX_IDLE_PER_PORT = 64


class Refused(Exception):
    """Nothing accepts connections on that port: the request was not sent, another replica may take it."""


class TimedOut(Exception):
    """The function did not answer within the read timeout."""


class Broken(Exception):
    """The connection failed after the request was sent (the process died or cut the answer short)."""


@dataclass
class Answer:
    """A function's whole response; header names and values as the function sent them."""

    status: int = 0
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytes = b""


class _Connection(asyncio.Protocol):
    """One connection to a function process, carrying one exchange at a time."""

    def __init__(self, pool: UpstreamPool, port: int) -> None:
        self.pool = pool
        self.port = port
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self._parser = httptools.HttpResponseParser(self)
        self._waiter: asyncio.Future[Answer] | None = None
        self._answer = Answer()
        self._parts: list[bytes] = []
        self._head_only = False
        self._received = False
        self._framed = False

    # ---- asyncio.Protocol -------------------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports are not subclasses

    def data_received(self, data: bytes) -> None:
        if self._waiter is None:  # bytes on an idle connection: the process is misbehaving, stop using it
            self.close()
            return
        self._received = True
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(Broken(f"malformed response: {exc}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.pool.forget(self)
        waiter = self._waiter
        if waiter is None or waiter.done():
            return
        if self._answer.status and not self._framed:  # a response delimited by the connection closing
            self._finish()
        else:
            self._waiter = None
            waiter.set_exception(Broken(str(exc) if exc else "connection closed before the response was complete"))

    # ---- httptools callbacks -----------------------------------------------------------------------------------

    def on_header(self, name: bytes, value: bytes) -> None:
        lowered = name.lower()
        if lowered == b"content-length" or (lowered == b"transfer-encoding" and b"chunked" in value.lower()):
            self._framed = True
        self._answer.headers.append((name, value))

    def on_headers_complete(self) -> None:
        self._answer.status = self._parser.get_status_code()
        if self._head_only:  # the parser would wait for a body a HEAD response never has
            self._finish(reusable=False)

    def on_body(self, body: bytes) -> None:
        self._parts.append(body)

    def on_message_complete(self) -> None:
        if self._waiter is not None:
            self._finish(reusable=self._parser.should_keep_alive())

    # ---- exchange ----------------------------------------------------------------------------------------------

    def send(self, head: bytes, body: bytes, head_only: bool) -> asyncio.Future[Answer]:
        loop = asyncio.get_running_loop()
        self._waiter = loop.create_future()
        self._answer = Answer()
        self._parts = []
        self._head_only = head_only
        self._received = False
        self._framed = False
        assert self.transport is not None
        self.transport.write(head + body if len(body) < 65536 else head)
        if len(body) >= 65536:
            self.transport.write(body)
        return self._waiter

    def _finish(self, reusable: bool = False) -> None:
        waiter, self._waiter = self._waiter, None
        self._answer.body = b"".join(self._parts)
        self._parts = []
        if reusable and not self.closed:
            self.pool.give(self)
        else:
            self.close()
        if waiter is not None and not waiter.done():
            waiter.set_result(self._answer)

    def _fail(self, exc: Exception) -> None:
        waiter, self._waiter = self._waiter, None
        self.close()
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)

    def timed_out(self, seconds: float) -> None:
        self._fail(TimedOut(f"no answer within {seconds:g}s"))

    @property
    def answered_nothing(self) -> bool:
        return not self._received

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


class UpstreamPool:
    """Idle connections per local port. Used only from the event loop's thread."""

    def __init__(self, connect_timeout: float = 2.0) -> None:
        self.connect_timeout = connect_timeout
        self._idle: dict[int, list[_Connection]] = {}

    def give(self, conn: _Connection) -> None:
        idle = self._idle.setdefault(conn.port, [])
        if len(idle) < MAX_IDLE_PER_PORT:
            idle.append(conn)
        else:
            conn.close()

    def forget(self, conn: _Connection) -> None:
        idle = self._idle.get(conn.port)
        if idle and conn in idle:
            idle.remove(conn)

    def _take(self, port: int) -> _Connection | None:
        idle = self._idle.get(port)
        while idle:
            conn = idle.pop()
            if not conn.closed:
                return conn
        return None

    async def _connect(self, port: int) -> _Connection:
        loop = asyncio.get_running_loop()
        try:
            _, conn = await asyncio.wait_for(
                loop.create_connection(lambda: _Connection(self, port), "127.0.0.1", port), self.connect_timeout
            )
        except (TimeoutError, OSError) as exc:
            raise Refused(str(exc) or type(exc).__name__) from exc
        return conn

    async def request(self, port: int, method: str, head: bytes, body: bytes, timeout: float) -> Answer:
        """Send one request (`head` ends with the blank line) and read the whole answer."""
        conn = self._take(port)
        reused = conn is not None
        if conn is None:
            conn = await self._connect(port)
        try:
            return await self._exchange(conn, method, head, body, timeout)
        except Broken:
            # A reused connection that the process closed just as the request went out: it processed nothing,
            # so one retry on a fresh connection is safe for methods that may be repeated.
            if not (reused and conn.answered_nothing and method in ("GET", "HEAD", "OPTIONS", "PUT", "DELETE")):
                raise
        return await self._exchange(await self._connect(port), method, head, body, timeout)

    @staticmethod
    async def _exchange(conn: _Connection, method: str, head: bytes, body: bytes, timeout: float) -> Answer:
        waiter = conn.send(head, body, method == "HEAD")
        timer = asyncio.get_running_loop().call_later(timeout, conn.timed_out, timeout)
        try:
            return await waiter
        except asyncio.CancelledError:  # the caller went away mid-exchange: the connection's state is unknown
            conn.close()
            raise
        finally:
            timer.cancel()

    def close(self) -> None:
        for idle in self._idle.values():
            for conn in list(idle):
                conn.close()
        self._idle.clear()
