"""The gateway's listening socket: one event loop that parses every request and writes every answer.

Invocations are the hot path: every call of every function crosses this hop, so requests are parsed by
httptools and `/function/` calls are forwarded (faas.proxy, faas.upstream) without threads or WSGI in between.
Everything else (`/system/*`, `/async-function/*`, `/healthz`) goes to the control handler on the same loop
(faas.gateway); a streamed answer (a followed log can last for hours) ends its connection.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from email.utils import formatdate
from typing import cast

import httptools

from faas.messages import REASONS, Headers, Reply, Request
from faas.proxy import PREFIX

log = logging.getLogger("faas.front")

IDLE_SECONDS = 300.0  # a keep-alive connection with nothing to say is closed after this long
MAX_PIPELINED = 16  # requests read ahead of the answers before the front stops reading a connection
FRAMING = frozenset({b"content-length", b"transfer-encoding", b"connection", b"keep-alive", b"date"})

Handler = Callable[[Request], Awaitable[Reply]]


class _Date:
    """The Date header's value, formatted once a second rather than once a call."""

    second = 0
    value = b""

    @classmethod
    def now(cls) -> bytes:
        second = int(time.time())
        if second != cls.second:
            cls.second, cls.value = second, formatdate(second, usegmt=True).encode()
        return cls.value


def render(reply: Reply, head_only: bool, keep_alive: bool) -> bytes:
    """Serialise a reply as HTTP/1.1 with exact framing (a streamed one: its head only)."""
    status = reply.status
    lines = [b"HTTP/1.1 %d %s\r\n" % (status, REASONS.get(status, "Unknown").encode())]
    lines.extend(b"%s: %s\r\n" % (key, value) for key, value in reply.headers if key.lower() not in FRAMING)
    lines.append(b"Date: %s\r\n" % _Date.now())
    if reply.stream is None:
        lines.append(b"Content-Length: %d\r\n" % len(reply.body))
    else:  # chunked, so that readers get each part as it comes rather than a buffer's worth
        lines.append(b"Transfer-Encoding: chunked\r\n")
    if not keep_alive or reply.stream is not None:
        lines.append(b"Connection: close\r\n")
    lines.append(b"\r\n")
    if not head_only:
        lines.append(reply.body)
    return b"".join(lines)


class _Client(asyncio.Protocol):
    """One client connection: parses requests and answers them in order."""

    def __init__(self, front: Front) -> None:
        self.front = front
        self.transport: asyncio.Transport | None = None
        self.peer = ""
        self._parser = httptools.HttpRequestParser(self)
        self._url: list[bytes] = []
        self._headers: Headers = []
        self._body: list[bytes] = []
        self._size = 0
        self._refused = False
        self._pending: collections.deque[Request] = collections.deque()
        self._worker: asyncio.Task[None] | None = None
        self._paused = False
        self._closing = False
        self._idle: asyncio.TimerHandle | None = None

    # ---- asyncio.Protocol -------------------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports are not subclasses
        peer = transport.get_extra_info("peername")
        self.peer = peer[0] if isinstance(peer, tuple) else ""
        self._arm_idle()

    def data_received(self, data: bytes) -> None:
        if self._closing:
            return
        self._arm_idle()
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._refuse(Reply.text(501, "Upgrading the connection (websockets) is not supported by the gateway."))
        except httptools.HttpParserError as exc:
            if not self._refused:
                self._refuse(Reply.text(400, f"Malformed HTTP request: {exc}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self._closing = True
        if self._idle is not None:
            self._idle.cancel()
        if self._worker is not None and not self._worker.done():
            self._worker.cancel()

    # ---- httptools callbacks -----------------------------------------------------------------------------------

    def on_message_begin(self) -> None:
        self._url, self._headers, self._body, self._size = [], [], [], 0

    def on_url(self, url: bytes) -> None:
        self._url.append(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name, value))

    def on_headers_complete(self) -> None:
        limit = self.front.max_body_bytes
        for key, value in self._headers:
            lowered = key.lower()
            if lowered == b"content-length" and value.strip().isdigit() and int(value) > limit:
                self._too_large(int(value))
                return
            if lowered == b"expect" and value.lower() == b"100-continue" and self.transport is not None:
                self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def on_body(self, body: bytes) -> None:
        self._size += len(body)
        if self._size > self.front.max_body_bytes:  # a chunked body that grew past the limit
            self._too_large(self._size)
            return
        self._body.append(body)

    def on_message_complete(self) -> None:
        if self._refused:
            return
        parser = self._parser
        request = Request(
            method=parser.get_method().decode("ascii", "replace"),
            target=b"".join(self._url),
            version=parser.get_http_version(),
            headers=self._headers,
            body=b"".join(self._body),
            peer=self.peer,
            keep_alive=parser.should_keep_alive(),
        )
        self._pending.append(request)
        if len(self._pending) >= MAX_PIPELINED and not self._paused and self.transport is not None:
            self.transport.pause_reading()
            self._paused = True
        if self._worker is None or self._worker.done():
            self._worker = asyncio.get_running_loop().create_task(self._answer_all())

    # ---- answering -----------------------------------------------------------------------------------------------

    async def _answer_all(self) -> None:
        while self._pending and not self._closing:
            request = self._pending.popleft()
            if self._paused and self.transport is not None:
                self.transport.resume_reading()
                self._paused = False
            handler = self.front.invoke if request.target.startswith(PREFIX) else self.front.control
            try:
                reply = await handler(request)
            except Exception:
                log.exception("%s %r failed inside the gateway", request.method, request.target[:200])
                reply = Reply.text(500, "The gateway failed while answering; see its log.")
            head_only = request.method == "HEAD"
            self.write(render(reply, head_only, request.keep_alive))
            if reply.stream is not None:
                await self._stream(reply.stream, head_only)
                return
            if not request.keep_alive:
                self.close()
                return

    async def _stream(self, parts: AsyncIterator[bytes], head_only: bool) -> None:
        """Send a streamed body in chunks as it comes, then end the connection."""
        try:
            if not head_only:
                async for part in parts:
                    if self._closing:
                        break
                    if part:  # an empty chunk would end the body
                        self.write(b"%x\r\n%s\r\n" % (len(part), part))
                self.write(b"0\r\n\r\n")
        finally:
            close = getattr(parts, "aclose", None)
            if close is not None:
                await close()
            self.close()

    def write(self, data: bytes) -> None:
        if self.transport is not None and not self._closing:
            self.transport.write(data)

    def close(self) -> None:
        self._closing = True
        if self.transport is not None:
            self.transport.close()

    def _too_large(self, size: int) -> None:
        limit = self.front.max_body_bytes
        self._refuse(Reply.text(413, f"Request body too large: {size} bytes exceed the limit of {limit} bytes."))

    def _refuse(self, reply: Reply) -> None:
        """Answer a request that cannot be read to the end, then close: the rest of the stream is unusable."""
        self._refused = True
        if self.transport is not None and not self._closing:
            self.transport.pause_reading()
            self.transport.write(render(reply, False, False))
        self._closing = True
        if self.transport is not None:
            self.transport.close()

    def _arm_idle(self) -> None:
        if self._idle is not None:
            self._idle.cancel()
        self._idle = asyncio.get_running_loop().call_later(self.front.idle_seconds, self._idle_timeout)

    def _idle_timeout(self) -> None:
        if not self._pending and (self._worker is None or self._worker.done()):
            self.close()
        else:
            self._arm_idle()


class Front:
    """Serves the gateway's port: `invoke` answers function calls, `control` everything else."""

    def __init__(self, invoke: Handler, control: Handler, max_body_bytes: int,
                 idle_seconds: float = IDLE_SECONDS) -> None:
        self.invoke = invoke
        self.control = control
        self.max_body_bytes = max_body_bytes
        self.idle_seconds = idle_seconds

    def protocol(self) -> _Client:
        return _Client(self)


async def serve(front: Front, host: str, port: int, ready: Callable[[], None] | None = None) -> None:
    """Listen until cancelled."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(front.protocol, host, port, backlog=1024, reuse_address=True)
    if ready is not None:
        ready()
    async with server:
        await server.serve_forever()
