"""The gateway's listening socket on its own: connection lifetime, body limits, streaming, over real sockets.

The front runs in a thread with small handlers in place of the function proxy and of the gateway's control
handler, so these tests need no instance and can use limits small enough to reach in milliseconds.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from faas.front import Front
from faas.messages import Reply, Request

IDLE = 0.3
LIMIT = 64 * 1024


async def answer(request: Request) -> Reply:
    """Echo the body's size, after `?sleep=` seconds when asked (a slow function)."""
    query = parse_qs(urlsplit(request.target.decode()).query)
    await asyncio.sleep(float(query.get("sleep", ["0"])[0]))
    return Reply.text(200, f"received {len(request.body)} bytes")


async def control(request: Request) -> Reply:
    """Stands for the gateway's control handler: says what reached it, or streams `?parts=` parts."""
    parts = int(request.query.get("parts", "0"))
    if parts:
        return Reply(200, [(b"Content-Type", b"text/plain")], stream=numbered(parts))
    return Reply.text(200, f"control got {len(request.body)} bytes")


async def numbered(count: int) -> AsyncIterator[bytes]:
    for number in range(count):
        await asyncio.sleep(0.01)
        yield b"part %d\n" % number


@pytest.fixture(scope="module")
def front() -> Iterator[tuple[str, int]]:
    loop = asyncio.new_event_loop()
    front = Front(answer, control, max_body_bytes=LIMIT, idle_seconds=IDLE)
    server = loop.run_until_complete(loop.create_server(front.protocol, "127.0.0.1", 0))
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield server.sockets[0].getsockname()[:2]
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


def test_an_idle_keep_alive_connection_is_closed_and_a_busy_one_is_not(front: tuple[str, int]) -> None:
    with socket.create_connection(front, timeout=5) as sock:
        for _ in range(3):  # requests closer together than the idle time keep the connection
            sock.sendall(b"GET /function/echo HTTP/1.1\r\nHost: gw\r\n\r\n")
            assert read_answer(sock).startswith(b"HTTP/1.1 200")
            time.sleep(IDLE / 3)
        assert closes_within(sock, 5)

    with socket.create_connection(front, timeout=5) as sock:  # a call slower than the idle time is answered
        sock.sendall(b"GET /function/echo?sleep=%.1f HTTP/1.1\r\nHost: gw\r\n\r\n" % (IDLE * 3))
        assert b"received 0 bytes" in read_answer(sock)


def test_a_request_left_unfinished_is_dropped_after_the_idle_time(front: tuple[str, int]) -> None:
    with socket.create_connection(front, timeout=5) as sock:
        sock.sendall(b"POST /function/echo HTTP/1.1\r\nHost: gw\r\nContent-Length: 100\r\n\r\nonly part")
        assert closes_within(sock, 5)


def test_a_chunked_body_growing_past_the_limit_is_refused_with_413(front: tuple[str, int]) -> None:
    url = f"http://{front[0]}:{front[1]}/function/echo"
    within = requests.post(url, data=iter([b"x" * 1024] * 8), timeout=10)  # no length declared: sent chunked
    assert within.status_code == 200 and within.text == "received 8192 bytes"

    beyond = requests.post(url, data=iter([b"x" * 16384] * 64), timeout=10)
    assert beyond.status_code == 413
    assert f"exceed the limit of {LIMIT} bytes" in beyond.text

    declared = requests.post(url, data=b"x" * (LIMIT + 1), timeout=10)
    assert declared.status_code == 413


def test_a_control_request_gets_one_100_continue_and_its_body_arrives(front: tuple[str, int]) -> None:
    with socket.create_connection(front, timeout=5) as sock:
        sock.sendall(b"POST /system/anything HTTP/1.1\r\nHost: gw\r\nContent-Length: 5\r\n"
                     b"Expect: 100-continue\r\n\r\n")
        assert sock.recv(64) == b"HTTP/1.1 100 Continue\r\n\r\n"  # before the body is sent
        sock.sendall(b"hello")
        answer = read_answer(sock)
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]  # not a second interim answer
    assert answer.endswith(b"control got 5 bytes")


def test_a_streamed_answer_arrives_whole_and_ends_its_connection(front: tuple[str, int]) -> None:
    with socket.create_connection(front, timeout=5) as sock:
        sock.sendall(b"GET /system/logs?parts=50 HTTP/1.1\r\nHost: gw\r\n\r\n")
        answer = b""
        while chunk := sock.recv(65536):  # a streamed answer ends with the connection
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200") and b"transfer-encoding: chunked" in head.lower()
    assert body == b"".join(b"7\r\npart %d\n\r\n" % number for number in range(10)) + b"".join(
        b"8\r\npart %d\n\r\n" % number for number in range(10, 50)) + b"0\r\n\r\n"
