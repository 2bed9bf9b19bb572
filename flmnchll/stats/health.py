"""Probes of every component of the service, each answering up or down with a short reason.

Each probe is independent and bounded by a short timeout, and all run in parallel, so one hung component
costs the check at most a few seconds and never hides the others. Probes only observe; recording the results
is `uptime`'s job.
"""

from __future__ import annotations

import os
import secrets
import socket
import struct
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass

import redis
import requests

from flmnchll.config import settings
from flmnchll.stores import mongo_client, redis_client, rq_connection

TIMEOUT = 2.0
QUEUES = ("transcode", "downscale")
STUN_MAGIC_COOKIE = 0x2112A442
STUN_BINDING_REQUEST = 0x0001
STUN_BINDING_SUCCESS = 0x0101
# The functions of stack.yml (a test holds the two lists together). Each is probed at the gateway's
# unauthenticated `/function/NAME/_/health`, so the health check needs no gateway admin password.
FUNCTIONS = ("signup", "login", "account", "admin-users", "list-content", "content", "upload-hook", "create-room",
             "join-room", "room", "clock", "stats", "health-check", "openapi")


@dataclass(frozen=True)
class Result:
    name: str
    up: bool
    detail: str = ""
    ms: float = 0.0

    @property
    def status(self) -> str:
        return "up" if self.up else "down"

    def public(self) -> dict:
        return {**asdict(self), "status": self.status}


Probe = Callable[[], tuple[bool, str]]


def _http_ok(url: str, method: str = "GET", expect_header: str | None = None) -> tuple[bool, str]:
    response = requests.request(method, url, timeout=TIMEOUT)
    if response.status_code >= 400:
        return False, f"HTTP {response.status_code}"
    if expect_header and expect_header not in response.headers:
        return False, f"no {expect_header} header"
    return True, f"HTTP {response.status_code}"


def gateway() -> tuple[bool, str]:
    return _http_ok(settings().gateway_url + "/healthz")


def nginx() -> tuple[bool, str]:
    return _http_ok(settings().public_url + "/healthz")


def tusd() -> tuple[bool, str]:
    """tusd answers OPTIONS on its base path with its protocol version; without TUSD_URL, via the front door."""
    base = os.environ.get("TUSD_URL", "").rstrip("/") or settings().public_url
    path = os.environ.get("TUSD_BASE_PATH", "/uploads/")
    return _http_ok(base + path, method="OPTIONS", expect_header="Tus-Version")


def ferretdb() -> tuple[bool, str]:
    mongo_client().admin.command("ping")
    return True, "ping ok"


def redis_store() -> tuple[bool, str]:
    return bool(redis_client().ping()), "PONG"


def peer_server(index: int) -> Probe:
    def probe() -> tuple[bool, str]:
        config = settings()
        ok, detail = _http_ok(f"http://{config.peer_host}:{config.peer_port + index}/health")
        return ok, detail

    return probe


def stun_request(transaction_id: bytes) -> bytes:
    """A STUN Binding request (RFC 5389): type, zero-length body, magic cookie, 96-bit transaction id."""
    return struct.pack("!HHI", STUN_BINDING_REQUEST, 0, STUN_MAGIC_COOKIE) + transaction_id


def stun_response_ok(packet: bytes, transaction_id: bytes) -> bool:
    """True for a Binding success response to our transaction."""
    if len(packet) < 20:
        return False
    kind, length, cookie = struct.unpack("!HHI", packet[:8])
    return (kind == STUN_BINDING_SUCCESS and cookie == STUN_MAGIC_COOKIE and packet[8:20] == transaction_id
            and len(packet) >= 20 + length)


def coturn() -> tuple[bool, str]:
    config = settings()
    transaction_id = secrets.token_bytes(12)
    family = socket.AF_INET6 if ":" in config.turn_host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.settimeout(TIMEOUT / 2)
        for _ in range(2):  # UDP: one retry
            sock.sendto(stun_request(transaction_id), (config.turn_host, config.turn_port))
            try:
                packet, _ = sock.recvfrom(2048)
            except TimeoutError:
                continue
            if stun_response_ok(packet, transaction_id):
                return True, "binding success"
            return False, "unexpected STUN answer"
    return False, "no STUN answer"


def function(name: str) -> Probe:
    """Up when the gateway reaches a ready replica of the function (its watchdog's health path answers 200)."""
    return lambda: _http_ok(f"{settings().gateway_url}/function/{name}/_/health")


def workers_listening(connection: redis.Redis) -> dict[str, int]:
    """How many live workers listen on each queue (a queue nobody listens on is absent)."""
    from rq import Worker

    listening: dict[str, int] = {}
    for worker in Worker.all(connection=connection):
        for name in worker.queue_names():
            listening[name] = listening.get(name, 0) + 1
    return listening


def workers() -> list[Result]:
    """One result per queue: up when a live worker listens on it; the detail gives the queue's backlog."""
    from rq import Queue

    started = time.perf_counter()
    connection = rq_connection()
    try:
        listening = workers_listening(connection)
        results = []
        for name in QUEUES:
            queue = Queue(name, connection=connection)
            count = listening.get(name, 0)
            detail = f"{count} worker(s), {queue.count} queued, {queue.failed_job_registry.count} failed"
            results.append(Result(f"workers/{name}", count > 0, detail, _ms(started)))
        return results
    finally:
        connection.close()


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def _run(name: str, probe: Probe) -> Result:
    started = time.perf_counter()
    try:
        ok, detail = probe()
    except Exception as exc:  # a probe that fails in any way means the component is down
        return Result(name, False, f"{type(exc).__name__}: {exc}"[:200], _ms(started))
    return Result(name, ok, detail, _ms(started))


def _guarded(name: str, many: Callable[[], list[Result]]) -> list[Result]:
    try:
        return many()
    except Exception as exc:
        return [Result(name, False, f"{type(exc).__name__}: {exc}"[:200])]


def single_probes() -> dict[str, Probe]:
    probes: dict[str, Probe] = {
        "gateway": gateway, "nginx": nginx, "tusd": tusd, "ferretdb": ferretdb, "redis": redis_store,
        "coturn": coturn,
    }
    for index in range(settings().peer_pool_size):
        probes[f"peer-{index}"] = peer_server(index)
    for name in FUNCTIONS:
        probes[f"function/{name}"] = function(name)
    return probes


def probe_all() -> list[Result]:
    """Probe every component at once; results sorted by name."""
    singles = single_probes()
    with ThreadPoolExecutor(max_workers=len(singles) + 1) as pool:
        futures = [pool.submit(_run, name, probe) for name, probe in singles.items()]
        many = [pool.submit(_guarded, "workers", workers)]
        results = [future.result() for future in futures]
        for future in many:
            results.extend(future.result())
    return sorted(results, key=lambda result: result.name)
