"""Synchronous invocation: `/function/NAME[.openfaas-fn][/sub/path]` forwarded to a function process.

Plays the parts that OpenFaaS splits between gateway and of-watchdog: picks a replica round-robin, enforces
`max_inflight` (429) and `exec_timeout` (504), waits briefly for processes that are (re)starting and answers
502/503 with a clear message when a function is down, never hanging. Runs on the gateway's event loop, with
kept-alive aiohttp client connections to the replicas; the few calls into the process manager go to a thread
so that no other call waits for them.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
import uuid

import aiohttp
from aiohttp import web
from multidict import CIMultiDict
from yarl import URL

from faas.metrics import Metrics
from faas.provider import Provider
from faas.registry import Registry
from faas.settings import NAMESPACE, Settings
from faas.spec import FunctionSpec, split_namespace
from faas.wire import BodyRefused, end_to_end, read_body, text

log = logging.getLogger("faas.proxy")

PREFIX = "/function/"
CONNECT_TIMEOUT = 2.0
# Process states worth waiting for: starting, up, or just exited and about to be restarted. BACKOFF means the
# process keeps dying while starting (a broken function), so callers are told at once instead.
WAITING_STATES = frozenset({"STARTING", "RUNNING", "EXITED"})
# What aiohttp's client would add on its own: a function sees only what its caller sent.
NOT_ADDED = frozenset({"User-Agent", "Accept", "Accept-Encoding", "Content-Type"})


def not_found_text(name: str) -> str:
    """The body the OpenFaaS gateway answers for an unknown function."""
    return f"error finding function {name}.{NAMESPACE}: server returned non-200 status code (404) for function, {name}"


class _Unavailable(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class _Refused(Exception):
    """Nothing accepted the connection: the request was not sent, another replica may take it."""


class FunctionProxy:
    """Answers `/function/` requests; used only from the gateway's event loop (`drain` excepted)."""

    def __init__(self, settings: Settings, registry: Registry, provider: Provider, metrics: Metrics) -> None:
        self.settings = settings
        self.registry = registry
        self.provider = provider
        self.metrics = metrics
        self._session: aiohttp.ClientSession | None = None
        self._timeouts: dict[float, aiohttp.ClientTimeout] = {}
        self._rr: dict[str, itertools.count[int]] = {}
        self._inflight: dict[int, int] = {}

    async def start(self) -> None:
        """Open the client session; called on the event loop that serves the calls."""
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0, limit_per_host=0, keepalive_timeout=60.0),
            auto_decompress=False,  # bodies pass through as the function encoded them
            cookie_jar=aiohttp.DummyCookieJar(),  # one caller's cookies are never sent with another's call
            skip_auto_headers=NOT_ADDED,
        )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def handle(self, request: web.Request) -> web.Response:
        path, _, query = request.raw_path.partition("?")
        name_part, slash, rest = path[len(PREFIX) :].partition("/")
        name, namespace = split_namespace(name_part)
        spec = self.registry.get(name) if namespace == NAMESPACE else None
        if spec is None:
            return text(404, not_found_text(name or name_part))
        try:
            body = await read_body(request, self.settings.max_body_bytes, self.settings.idle_seconds)
        except BodyRefused as refused:
            return refused.response

        # one pass over the client's headers: what is passed on, and what the gateway adds unless the client did
        headers = end_to_end(request.raw_headers)
        call_id = headers.get("X-Call-Id")
        if call_id is None:
            call_id = headers["X-Call-Id"] = str(uuid.uuid4())
        headers["X-Start-Time"] = str(time.time_ns())
        if "X-Forwarded-For" not in headers:
            headers["X-Forwarded-For"] = request.remote or ""
        host = request.headers.get("Host")
        if "X-Forwarded-Host" not in headers and host:
            headers["X-Forwarded-Host"] = host
        target = ("/" + rest if slash else "/") + ("?" + query if query else "")

        started_count, inflight = self.metrics.per_function(name)
        started_count.inc()
        inflight.inc()
        started = time.perf_counter()
        code = 500
        try:
            code, response = await self._invoke(spec, request.method, target, headers, body)
        except _Unavailable as exc:
            code = exc.code
            log.warning("%s: %s", name, exc.message)
            return text(code, exc.message, {"X-Call-Id": call_id})
        except Exception:
            log.exception("invocation of %s failed inside the gateway", name)
            return text(500, "The gateway failed while forwarding the call; see its log.", {"X-Call-Id": call_id})
        finally:
            inflight.dec()
            self.metrics.observe(name, code, time.perf_counter() - started)
        response.headers["X-Call-Id"] = call_id
        response.headers["X-Duration-Seconds"] = f"{time.perf_counter() - started:f}"
        return response

    async def _invoke(
        self, spec: FunctionSpec, method: str, target: str, headers: CIMultiDict[str], body: bytes
    ) -> tuple[int, web.Response]:
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
                    return await self._send(port, method, target, headers, body, timeout, name)
                except _Refused:
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
        self, port: int, method: str, target: str, headers: CIMultiDict[str], body: bytes, timeout: float, name: str
    ) -> tuple[int, web.Response]:
        assert self._session is not None, "start() opens the client session"
        url = URL(f"http://127.0.0.1:{port}{target}", encoded=True)  # the path as the caller encoded it
        try:
            async with self._session.request(
                method, url, headers=headers, data=body or None, allow_redirects=False,
                timeout=self._timeout(timeout),
            ) as answer:
                payload = await answer.read()
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
            raise _Refused(str(exc)) from exc
        except TimeoutError as exc:
            raise _Unavailable(504, f"Function {name} timed out after {timeout:g}s (exec_timeout).") from exc
        except aiohttp.ClientError as exc:
            raise _Unavailable(
                502, f"Can't reach service for: {name}. The function process ended the connection without answering."
            ) from exc
        kept = end_to_end(answer.raw_headers)
        return answer.status, web.Response(status=answer.status, reason=answer.reason, headers=kept, body=payload)

    def _timeout(self, seconds: float) -> aiohttp.ClientTimeout:
        """The exec_timeout for a whole exchange, with a short limit on connecting (kept per value)."""
        found = self._timeouts.get(seconds)
        if found is None:
            found = self._timeouts[seconds] = aiohttp.ClientTimeout(total=seconds, connect=CONNECT_TIMEOUT)
        return found

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
