"""The gateway's HTTP server rules on their own: connection lifetime, body limits and 100-continue, over sockets.

A small application reads bodies the way the gateway's handlers do (faas.wire.read_body) and is served the way
the gateway is (faas.wire.start_server), in a thread, so these tests need no instance and can use limits small
enough to reach in milliseconds.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import requests
from aiohttp import web

from faas.wire import BodyRefused, read_body, start_server, text

IDLE = 0.3
LIMIT = 64 * 1024


async def answer(request: web.Request) -> web.Response:
    """Say how much body arrived, after `?sleep=` seconds when asked (a slow function)."""
    try:
        body = await read_body(request, LIMIT, IDLE)
    except BodyRefused as refused:
        return refused.response
    await asyncio.sleep(float(request.query.get("sleep", "0")))
    return text(200, f"received {len(body)} bytes")


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, int]]:
    loop = asyncio.new_event_loop()
    app = web.Application()
    app.router.add_route("*", "/{path:.*}", answer)
    runner = loop.run_until_complete(start_server(app, "127.0.0.1", 0, IDLE))
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield runner.addresses[0][:2]
    asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)


def closes_within(sock: socket.socket, limit: float) -> bool:
    """The peer closed the connection within `limit` seconds (what it sent meanwhile is read and dropped)."""
    sock.settimeout(limit)
    try:
        while sock.recv(65536):
            pass
    except TimeoutError:
        return False
    return True


def read_answer(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    length = int(next(line.split(b":")[1] for line in lines if line.lower().startswith(b"content-length")))
    while len(body) < length:
        body += sock.recv(65536)
    return head + b"\r\n\r\n" + body


def test_an_idle_keep_alive_connection_is_closed_and_a_busy_one_is_not(server: tuple[str, int]) -> None:
    with socket.create_connection(server, timeout=5) as sock:
        for _ in range(3):  # requests closer together than the idle time keep the connection
            sock.sendall(b"GET /function/echo HTTP/1.1\r\nHost: gw\r\n\r\n")
            assert read_answer(sock).startswith(b"HTTP/1.1 200")
            time.sleep(IDLE / 3)
        assert closes_within(sock, 5)

    with socket.create_connection(server, timeout=5) as sock:  # a call slower than the idle time is answered
        sock.sendall(b"GET /function/echo?sleep=%.1f HTTP/1.1\r\nHost: gw\r\n\r\n" % (IDLE * 3))
        assert b"received 0 bytes" in read_answer(sock)


def test_a_request_left_unfinished_is_dropped_after_the_idle_time(server: tuple[str, int]) -> None:
    with socket.create_connection(server, timeout=5) as sock:
        sock.sendall(b"POST /function/echo HTTP/1.1\r\nHost: gw\r\nContent-Length: 100\r\n\r\nonly part")
        assert closes_within(sock, 5)
    with socket.create_connection(server, timeout=5) as sock:  # a head that never ends
        sock.sendall(b"POST /function/echo HTTP/1.1\r\nHost: gw\r\n")
        assert closes_within(sock, 5)


def test_a_chunked_body_growing_past_the_limit_is_refused_with_413(server: tuple[str, int]) -> None:
    url = f"http://{server[0]}:{server[1]}/function/echo"
    within = requests.post(url, data=iter([b"x" * 1024] * 8), timeout=10)  # no length declared: sent chunked
    assert within.status_code == 200 and within.text == "received 8192 bytes"

    beyond = requests.post(url, data=iter([b"x" * 16384] * 64), timeout=10)
    assert beyond.status_code == 413
    assert f"exceed the limit of {LIMIT} bytes" in beyond.text

    declared = requests.post(url, data=b"x" * (LIMIT + 1), timeout=10)
    assert declared.status_code == 413


def test_a_request_with_expect_gets_one_100_continue_and_its_body_arrives(server: tuple[str, int]) -> None:
    with socket.create_connection(server, timeout=5) as sock:
        sock.sendall(b"POST /system/anything HTTP/1.1\r\nHost: gw\r\nContent-Length: 5\r\n"
                     b"Expect: 100-continue\r\n\r\n")
        assert sock.recv(64) == b"HTTP/1.1 100 Continue\r\n\r\n"  # before the body is sent
        sock.sendall(b"hello")
        answer = read_answer(sock)
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]  # not a second interim answer
    assert answer.endswith(b"received 5 bytes")
