"""The gateway's HTTP rules on aiohttp: its one hop-by-hop header list, bodies under limits, plain-text answers.

The server (faas.gateway) and the client to function processes (faas.proxy) share one event loop; these are
the rules both directions apply.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from aiohttp import web
from multidict import CIMultiDict

# Headers that belong to one connection, not to the message: never passed from one side of the gateway to the
# other. The gateway frames each side itself (Content-Length, Host) and answers `Expect: 100-continue` itself.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "content-length",
        "host",
        "expect",
    }
)


def end_to_end(raw_headers: Iterable[tuple[bytes, bytes]]) -> CIMultiDict[str]:
    """The headers that go on to the other side of the gateway, repeated ones and their order kept."""
    kept: CIMultiDict[str] = CIMultiDict()
    for key, value in raw_headers:
        name = key.decode("latin-1")
        if name.lower() not in HOP_BY_HOP:
            kept.add(name, value.decode("latin-1"))
    return kept


def text(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    """A plain-text answer, as the OpenFaaS gateway gives its errors."""
    return web.Response(status=status, text=message, headers=headers)


async def no_route(request: web.Request) -> web.Response:
    return text(404, f"no route for {request.path}")


class BodyRefused(Exception):
    """The request body cannot be taken; `response` says why, and the connection is closed after it."""

    def __init__(self, response: web.Response) -> None:
        super().__init__(response.text)
        response.force_close()
        self.response = response


def too_large(size: int, limit: int) -> BodyRefused:
    return BodyRefused(text(413, f"Request body too large: {size} bytes exceed the limit of {limit} bytes."))


def check_declared_length(request: web.BaseRequest, limit: int) -> None:
    """Refuse a body by its declared length, before anyone waits for it (or says 100 Continue)."""
    declared = request.content_length
    if declared is not None and declared > limit:
        raise too_large(declared, limit)


async def read_body(request: web.BaseRequest, limit: int, idle: float) -> bytes:
    """The whole body (declared or chunked), refused past `limit` bytes or when it stops arriving for `idle` s."""
    if not request.body_exists:
        return b""
    check_declared_length(request, limit)
    parts: list[bytes] = []
    size = 0
    while True:
        try:
            async with asyncio.timeout(idle):
                chunk = await request.content.readany()
        except TimeoutError:
            raise BodyRefused(text(408, f"The request body stopped arriving for {idle:g}s.")) from None
        if not chunk:
            return b"".join(parts)
        size += len(chunk)
        if size > limit:
            raise too_large(size, limit)
        parts.append(chunk)



async def start_server(app: web.Application, host: str, port: int, idle: float) -> web.AppRunner:
    """Serve `app` on host:port; a keep-alive connection idle for `idle` s is closed. `runner.cleanup()` stops it."""
    # After an answer given before its body arrived, what is left of the body is read and dropped for a
    # while (so the client can read the answer), never longer than a silent connection is kept.
    runner = web.AppRunner(app, access_log=None, keepalive_timeout=idle, lingering_time=min(idle, 10.0),
                           handle_signals=False)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port, backlog=1024, reuse_address=True).start()
    except BaseException:
        await runner.cleanup()
        raise
    return runner
