"""Synchronous invocation: `/function/NAME[.openfaas-fn][/sub/path]` forwarded to a function process.

Plays the parts that OpenFaaS splits between gateway and of-watchdog: picks a replica round-robin, enforces
`max_inflight` (429) and `exec_timeout` (504), waits briefly for processes that are (re)starting and answers
502/503 with a clear message when a function is down, never hanging. Runs on the front's event loop; the
few calls into the process manager go to a thread so that no other call waits for them.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
import uuid

from faas.messages import Reply, Request
from faas.metrics import Metrics
from faas.provider import Provider
from faas.registry import Registry
from faas.settings import NAMESPACE, Settings
from faas.spec import FunctionSpec, split_namespace
from faas.upstream import Broken, Refused, TimedOut, UpstreamPool

log = logging.getLogger("faas.proxy")

PREFIX = b"/function/"
HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"trailers",
        b"transfer-encoding",
        b"upgrade",
        b"content-length",
        b"host",
        b"expect",
    }
)
CONNECT_TIMEOUT = 2.0
# Process states worth waiting for: starting, up, or just exited and about to be restarted. BACKOFF means the
# process keeps dying while starting (a broken function), so callers are told at once instead.
WAITING_STATES = frozenset({"STARTING", "RUNNING", "EXITED"})
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def not_found_text(name: str) -> str:
    """The body the OpenFaaS gateway answers for an unknown function."""
    return f"error finding function {name}.{NAMESPACE}: server returned non-200 status code (404) for function, {name}"


class _Unavailable(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class FunctionProxy:
    """Answers `/function/` requests; used only from the front's event loop (`drain` excepted)."""

    def __init__(self, settings: Settings, registry: Registry, provider: Provider, metrics: Metrics) -> None:
        self.settings = settings
        self.registry = registry
        self.provider = provider
        self.metrics = metrics
        self.upstream = UpstreamPool(CONNECT_TIMEOUT)
        self._rr: dict[str, itertools.count[int]] = {}
        self._inflight: dict[int, int] = {}

    async def handle(self, request: Request) -> Reply:
        path, _, query = request.target.partition(b"?")
        name_part, slash, rest = path[len(PREFIX) :].decode("latin-1").partition("/")
        name, namespace = split_namespace(name_part)
        spec = self.registry.get(name) if namespace == NAMESPACE else None
        if spec is None:
            return Reply.text(404, not_found_text(name or name_part))

        # one pass over the client's headers: what is passed on, and what the gateway adds unless the client did
        headers: list[bytes] = []
        call_id = host = None
        forwarded_for = forwarded_host = False
        for key, value in request.headers:
            lowered = key.lower()
            if lowered == b"host":
                host = value
            if lowered in HOP_BY_HOP:
                continue
            if lowered == b"x-call-id" and call_id is None:
                call_id = value
            forwarded_for = forwarded_for or lowered == b"x-forwarded-for"
            forwarded_host = forwarded_host or lowered == b"x-forwarded-host"
            headers.append(b"%s: %s\r\n" % (key, value))
        if call_id is None:
            call_id = str(uuid.uuid4()).encode()
            headers.append(b"X-Call-Id: %s\r\n" % call_id)
        headers.append(b"X-Start-Time: %d\r\n" % time.time_ns())
        if not forwarded_for:
            headers.append(b"X-Forwarded-For: %s\r\n" % request.peer.encode())
        if not forwarded_host and host:
            headers.append(b"X-Forwarded-Host: %s\r\n" % host)
        if request.body or request.method in BODY_METHODS:
            headers.append(b"Content-Length: %d\r\n" % len(request.body))
        headers.append(b"\r\n")
        target = (b"/" + rest.encode("latin-1") if slash else b"/") + (b"?" + query if query else b"")
        request_line = b"%s %s HTTP/1.1\r\n" % (request.method.encode(), target)

        started_count, inflight = self.metrics.per_function(name)
        started_count.inc()
        inflight.inc()
        started = time.perf_counter()
        code = 500
        try:
            code, reply = await self._invoke(spec, request.method, request_line, b"".join(headers), request.body)
        except _Unavailable as exc:
            code = exc.code
            log.warning("%s: %s", name, exc.message)
            return Reply.text(code, exc.message, [(b"X-Call-Id", call_id)])
        finally:
            inflight.dec()
            self.metrics.observe(name, code, time.perf_counter() - started)
        reply.headers.append((b"X-Call-Id", call_id))
        reply.headers.append((b"X-Duration-Seconds", b"%f" % (time.perf_counter() - started)))
        return reply

    async def _invoke(
        self, spec: FunctionSpec, method: str, request_line: bytes, headers: bytes, body: bytes
    ) -> tuple[int, Reply]:
        """Call one replica of the function; raise _Unavailable with the status to answer otherwise."""
        name = spec.service
        deadline = time.monotonic() + self.settings.ready_timeout
        if name in self.provider.restarting:  # a redeploy is draining and restarting the replicas
            while name in self.provider.restarting and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
            spec = self.registry.get(name) or spec
        if spec.replicas == 0:
            spec = await self._scale_from_zero(spec)
            deadline = time.monotonic() + 2 * self.settings.ready_timeout  # a cold start: be patient
        timeout = spec.exec_timeout or self.settings.default_timeout
        limit = spec.max_inflight
        while True:
            ports = spec.ports
            refused = 0
            busy = 0
            start = next(self._rr.setdefault(name, itertools.count()))
            for i in range(len(ports)):
                port = ports[(start + i) % len(ports)]
                current = self._inflight.get(port, 0)
                if limit and current >= limit:
                    busy += 1
                    continue
                self._inflight[port] = current + 1
                try:
                    return await self._send(port, method, request_line, headers, body, timeout, name)
                except Refused:
                    refused += 1
                finally:
                    self._inflight[port] -= 1
            if busy and not refused:
                raise _Unavailable(429, f"Concurrent request limit exceeded. Max concurrent requests: {limit}")
            states = await self._states(name)
            if not WAITING_STATES.intersection(states) and name not in self.provider.changing:
                detail = ", ".join(sorted(set(states))) or "no processes"
                raise _Unavailable(
                    503,
                    f"No endpoints available for: {name}. Its processes are not running ({detail}); "
                    f"see /system/logs?name={name}",
                )
            if time.monotonic() >= deadline:
                raise _Unavailable(
                    503, f"No endpoints available for: {name}. Its processes did not become ready in time."
                )
            await asyncio.sleep(0.05)
            spec = self.registry.get(name) or spec

    async def _send(
        self, port: int, method: str, request_line: bytes, headers: bytes, body: bytes, timeout: float, name: str
    ) -> tuple[int, Reply]:
        head = b"%sHost: 127.0.0.1:%d\r\n%s" % (request_line, port, headers)
        try:
            answer = await self.upstream.request(port, method, head, body, timeout)
        except TimedOut as exc:
            raise _Unavailable(504, f"Function {name} timed out after {timeout:g}s (exec_timeout).") from exc
        except Broken as exc:
            raise _Unavailable(
                502, f"Can't reach service for: {name}. The function process ended the connection without answering."
            ) from exc
        kept = [(key, value) for key, value in answer.headers if key.lower() not in HOP_BY_HOP]
        return answer.status, Reply(answer.status, kept, answer.body)

    def drain(self, ports: list[int], timeout: float) -> None:
        """Wait (at most `timeout` seconds) until no call is in flight on these ports; called from other threads."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not any(self._inflight.get(port, 0) for port in ports):
                return
            time.sleep(0.02)
        log.warning("drain: calls still in flight on %s after %gs", ports, timeout)

    async def _states(self, name: str) -> list[str]:
        try:
            return await asyncio.get_running_loop().run_in_executor(None, self.provider.states, name)
        except Exception as exc:
            raise _Unavailable(503, f"No endpoints available for: {name}. The process manager is unreachable.") from exc

    async def _scale_from_zero(self, spec: FunctionSpec) -> FunctionSpec:
        """Bring a function scaled to zero back to its minimum, as the OpenFaaS gateway does."""
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(None, self.provider.scale, spec.service, max(1, spec.min_replicas))
        except Exception as exc:
            raise _Unavailable(503, f"No endpoints available for: {spec.service}. Scaling from zero failed.") from exc
