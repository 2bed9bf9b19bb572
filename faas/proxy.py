"""Synchronous invocation: `/function/NAME[.openfaas-fn][/sub/path]` forwarded to a function process.

Plays the parts that OpenFaaS splits between gateway and of-watchdog: picks a replica round-robin, enforces
`max_inflight` (429) and `exec_timeout` (504), waits briefly for processes that are (re)starting and answers
502/503 with a clear message when a function is down, never hanging.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from faas.metrics import Metrics
from faas.provider import Provider
from faas.registry import Registry
from faas.settings import NAMESPACE, Settings
from faas.spec import FunctionSpec, split_namespace
from faas.upstream import Broken, Refused, TimedOut, UpstreamPool

log = logging.getLogger("faas.proxy")

StartResponse = Callable[..., Any]
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
    }
)
CONNECT_TIMEOUT = 2.0
# Process states worth waiting for: starting, up, or just exited and about to be restarted. BACKOFF means the
# process keeps dying while starting (a broken function), so callers are told at once instead.
WAITING_STATES = frozenset({"STARTING", "RUNNING", "EXITED"})
STATUS_LINES = {status.value: f"{status.value} {status.phrase}" for status in HTTPStatus}


def status_line(code: int) -> str:
    """The WSGI status line with the standard reason phrase."""
    return STATUS_LINES.get(code) or f"{code} Unknown"


def not_found_text(name: str) -> str:
    """The body the OpenFaaS gateway answers for an unknown function."""
    return f"error finding function {name}.{NAMESPACE}: server returned non-200 status code (404) for function, {name}"


def request_headers(environ: dict[str, Any]) -> list[tuple[str, str]]:
    """Rebuild the client's headers from the WSGI environ, less hop-by-hop ones."""
    headers: list[tuple[str, str]] = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            name = key[5:].replace("_", "-").title()
        elif key == "CONTENT_TYPE" and value:
            name = "Content-Type"
        else:
            continue
        if name.lower() not in HOP_BY_HOP:
            headers.append((name, value))
    return headers


class _Unavailable(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class FunctionProxy:
    """The WSGI application behind `/function/`."""

    def __init__(self, settings: Settings, registry: Registry, provider: Provider, metrics: Metrics) -> None:
        self.settings = settings
        self.registry = registry
        self.provider = provider
        self.metrics = metrics
        self.upstream = UpstreamPool(CONNECT_TIMEOUT)
        self._rr: dict[str, itertools.count[int]] = {}
        self._inflight: dict[int, int] = {}
        self._lock = threading.Lock()

    # ---- WSGI ------------------------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        raw = environ.get("REQUEST_URI") or environ.get("PATH_INFO", "")
        if not raw.startswith("/"):
            raw = environ.get("PATH_INFO", "")
        path_part = raw.split("?", 1)[0][len("/function/"):]
        name_part, slash, rest = path_part.partition("/")
        name, namespace = split_namespace(name_part)
        spec = self.registry.get(name) if namespace == NAMESPACE else None
        if spec is None:
            return self._plain(start_response, 404, not_found_text(name or name_part))

        length = environ.get("CONTENT_LENGTH") or "0"
        try:
            size = int(length)
        except ValueError:
            return self._plain(start_response, 400, "invalid Content-Length")
        if size > self.settings.max_body_bytes:
            return self._plain(
                start_response, 413, f"request body of {size} bytes exceeds the limit of {self.settings.max_body_bytes}"
            )
        body = environ["wsgi.input"].read(size) if size > 0 else b""
        query = environ.get("QUERY_STRING", "")
        sub_path = "/" + rest if slash else "/"
        headers = request_headers(environ)
        call_id = environ.get("HTTP_X_CALL_ID") or str(uuid.uuid4())
        if not environ.get("HTTP_X_CALL_ID"):
            headers.append(("X-Call-Id", call_id))
        headers.append(("X-Start-Time", str(time.time_ns())))
        if not environ.get("HTTP_X_FORWARDED_FOR"):
            headers.append(("X-Forwarded-For", environ.get("REMOTE_ADDR", "")))
        if not environ.get("HTTP_X_FORWARDED_HOST") and environ.get("HTTP_HOST"):
            headers.append(("X-Forwarded-Host", environ["HTTP_HOST"]))

        started_count, inflight = self.metrics.per_function(name)
        started_count.inc()
        inflight.inc()
        started = time.perf_counter()
        code = 500
        try:
            code, out_headers, content = self.invoke(spec, environ["REQUEST_METHOD"], sub_path, query, headers, body)
        except _Unavailable as exc:
            code = exc.code
            log.warning("%s: %s", name, exc.message)
            return self._plain(start_response, code, exc.message, call_id)
        finally:
            inflight.dec()
            self.metrics.observe(name, code, time.perf_counter() - started)
        out_headers.append(("Content-Length", str(len(content))))
        out_headers.append(("X-Duration-Seconds", f"{time.perf_counter() - started:f}"))
        start_response(status_line(code), out_headers)
        return [] if environ["REQUEST_METHOD"] == "HEAD" else [content]

    @staticmethod
    def _plain(start_response: StartResponse, code: int, text: str, call_id: str | None = None) -> list[bytes]:
        data = text.encode()
        headers = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(data)))]
        if call_id:
            headers.append(("X-Call-Id", call_id))
        start_response(status_line(code), headers)
        return [data]

    # ---- invocation ------------------------------------------------------------------------------------------

    def invoke(
        self, spec: FunctionSpec, method: str, path: str, query: str, headers: list[tuple[str, str]], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        """Call one replica of the function; raise _Unavailable with the status to answer otherwise."""
        name = spec.service
        deadline = time.monotonic() + self.settings.ready_timeout
        if name in self.provider.restarting:  # a redeploy is draining and restarting the replicas
            while name in self.provider.restarting and time.monotonic() < deadline:
                time.sleep(0.02)
            spec = self.registry.get(name) or spec
        if spec.replicas == 0:
            spec = self._scale_from_zero(spec)
            deadline = time.monotonic() + 2 * self.settings.ready_timeout  # a cold start: be patient
        timeout = spec.exec_timeout or self.settings.default_timeout
        limit = spec.max_inflight
        url_tail = path + ("?" + query if query else "")
        while True:
            ports = spec.ports
            refused = 0
            busy = 0
            start = next(self._rr.setdefault(name, itertools.count()))
            for i in range(len(ports)):
                port = ports[(start + i) % len(ports)]
                if not self._enter(port, limit):
                    busy += 1
                    continue
                try:
                    return self._send(port, method, url_tail, headers, body, timeout, name)
                except _Refused:
                    refused += 1
                finally:
                    self._leave(port)
            if busy and not refused:
                raise _Unavailable(429, f"Concurrent request limit exceeded. Max concurrent requests: {limit}")
            states = self._states(name)
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
            time.sleep(0.05)
            spec = self.registry.get(name) or spec

    def _send(
        self, port: int, method: str, url_tail: str, headers: list[tuple[str, str]], body: bytes, timeout: float,
        name: str,
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        payload = body if body or method in ("POST", "PUT", "PATCH") else None
        try:
            status, out, content = self.upstream.request(port, method, url_tail, dict(headers), payload, timeout)
        except Refused as exc:
            raise _Refused() from exc
        except TimedOut as exc:
            raise _Unavailable(504, f"Function {name} timed out after {timeout:g}s (exec_timeout).") from exc
        except Broken as exc:
            raise _Unavailable(
                502, f"Can't reach service for: {name}. The function process ended the connection without answering."
            ) from exc
        return status, [(k, v) for k, v in out if k.lower() not in HOP_BY_HOP], content

    def drain(self, ports: list[int], timeout: float) -> None:
        """Wait (at most `timeout` seconds) until no call is in flight on these ports."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if not any(self._inflight.get(port, 0) for port in ports):
                    return
            time.sleep(0.02)
        log.warning("drain: calls still in flight on %s after %gs", ports, timeout)

    def _enter(self, port: int, limit: int) -> bool:
        with self._lock:
            current = self._inflight.get(port, 0)
            if limit and current >= limit:
                return False
            self._inflight[port] = current + 1
            return True

    def _leave(self, port: int) -> None:
        with self._lock:
            self._inflight[port] -= 1

    def _states(self, name: str) -> list[str]:
        try:
            return self.provider.states(name)
        except Exception as exc:
            raise _Unavailable(503, f"No endpoints available for: {name}. The process manager is unreachable.") from exc

    def _scale_from_zero(self, spec: FunctionSpec) -> FunctionSpec:
        """Bring a function scaled to zero back to its minimum, as the OpenFaaS gateway does."""
        try:
            return self.provider.scale(spec.service, max(1, spec.min_replicas))
        except Exception as exc:
            raise _Unavailable(503, f"No endpoints available for: {spec.service}. Scaling from zero failed.") from exc


class _Refused(Exception):
    """Nothing listens on that replica's port (yet)."""
