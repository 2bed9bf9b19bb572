"""The gateway process: OpenFaaS's HTTP API on FAAS_GATEWAY_PORT, metrics on FAAS_METRICS_PORT.

Run as `python -m faas.gateway`. One event loop answers everything (faas.front parses requests and writes
answers): `/function/` calls go to faas.proxy, which forwards them over kept-alive connections (faas.upstream);
`/async-function/`, `/healthz` and the `/system/` API (faas.system_api) are answered by `Gateway.control`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
import time
import uuid
from typing import Any

from rq import Queue
from tenacity import RetryCallState, retry, retry_if_exception_type, wait_exponential

from faas import async_calls, system_api
from faas.auth import BasicAuth
from faas.front import Front, serve
from faas.messages import Reply, Request
from faas.metrics import Metrics
from faas.provider import Provider
from faas.proxy import HOP_BY_HOP, FunctionProxy, not_found_text
from faas.registry import Registry
from faas.secrets import SecretStore
from faas.settings import NAMESPACE, Settings
from faas.spec import split_namespace
from faas.supervisor_api import Supervisor, SupervisorError

log = logging.getLogger("faas.gateway")
ASYNC_PREFIX = "/async-function/"


class Gateway:
    """Wires the parts together and answers every request that is not a function call."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.registry = Registry(settings.registry_file)
        self.supervisor = Supervisor(settings.supervisor_url, settings.supervisor_user, settings.supervisor_password)
        self.provider = Provider(settings, self.registry, self.supervisor)
        self.metrics = Metrics()
        self.secrets = SecretStore(settings.secrets_dir)
        self.auth = BasicAuth(settings.secrets_dir / "basic-auth-password")
        self.proxy = FunctionProxy(settings, self.registry, self.provider, self.metrics)
        self.provider.drain = self.proxy.drain
        self._queue: Queue | None = None

    @property
    def queue(self) -> Queue:
        if self._queue is None:
            self._queue = async_calls.queue(self.settings)
        return self._queue

    async def control(self, request: Request) -> Reply:
        path = request.path
        if path.startswith(system_api.PREFIX):
            return await system_api.handle(self, request)
        if path.startswith(ASYNC_PREFIX):
            return await self.async_function(request)
        if path == "/healthz" and request.method in ("GET", "HEAD"):
            return system_api.text(200, "OK")
        return system_api.no_route(request)

    async def async_function(self, request: Request) -> Reply:
        """Queue the call and answer 202 with its X-Call-Id (faas.async_calls runs it)."""
        text = system_api.text
        if request.method not in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            return text(405, f"{request.method} is not accepted for an asynchronous call")
        target, _, query = request.target[len(ASYNC_PREFIX) :].decode("latin-1").partition("?")
        name_part, slash, rest = target.partition("/")
        name, namespace = split_namespace(name_part)
        spec = self.registry.get(name) if namespace == NAMESPACE else None
        if spec is None:
            return text(404, not_found_text(name))
        callback_url = request.header("X-Callback-Url") or ""
        refusal = self.settings.callback_allow.refusal(callback_url)
        if refusal:
            return text(400, f"X-Callback-Url refused: {refusal}")
        call_id = request.header("X-Call-Id") or str(uuid.uuid4())
        headers, credentials = async_calls.split_credentials(
            [(key.decode("latin-1"), value.decode("latin-1")) for key, value in request.headers
             if key.lower() not in HOP_BY_HOP and key.lower() != b"x-callback-url"])
        call: dict[str, Any] = {
            "call_id": call_id,
            "name": name,
            "method": request.method,
            "path": "/" + rest if slash else "",
            "query": query,
            "headers": headers,
            "body": request.body,
            "callback_url": callback_url,
            "timeout": spec.exec_timeout or self.settings.default_timeout,
            "queued_at": time.time(),
        }
        try:
            await asyncio.to_thread(async_calls.enqueue, self.queue, call, call["timeout"], credentials)
        except Exception as exc:  # the queue being away must not look like a function error
            log.error("cannot queue async call of %s: %s", name, exc)
            self._queue = None
            return text(503, f"cannot queue the call: the queue is unavailable ({type(exc).__name__})")
        return Reply(202, [(b"X-Call-Id", call_id.encode("latin-1"))])


def _log_reconcile_failure(state: RetryCallState) -> None:
    log.warning("reconcile failed, retrying: %s", state.outcome.exception() if state.outcome else None)


@retry(wait=wait_exponential(multiplier=0.5, max=10), retry=retry_if_exception_type(Exception),
       before_sleep=_log_reconcile_failure)
def _reconcile_forever(gateway: Gateway) -> None:
    """Bring function processes in line with the registry, retrying (0.5 s, doubling to 10 s apart) while
    supervisord is not answering yet."""
    gateway.provider.reconcile()
    for spec in gateway.registry.all():
        gateway.metrics.set_replicas(spec.service, spec.replicas)
    log.info("function processes reconciled: %d function(s)", len(gateway.registry.all()))


def _event_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:  # the standard loop works too, at a higher cost per call
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


async def _serve(gateway: Gateway) -> None:
    """Serve until cancelled; blocking work (process manager, files, followed logs) goes to the thread pool."""
    settings = gateway.settings
    asyncio.get_running_loop().set_default_executor(
        concurrent.futures.ThreadPoolExecutor(settings.gateway_threads, thread_name_prefix="gateway"))
    front = Front(gateway.proxy.handle, gateway.control, settings.max_body_bytes, settings.idle_seconds)

    def ready() -> None:
        log.info("gateway on %s:%d, metrics on :%d", settings.bind, settings.gateway_port, settings.metrics_port)

    try:
        await serve(front, settings.bind, settings.gateway_port, ready)
    except OSError as exc:
        raise SystemExit(f"gateway: cannot listen on {settings.bind}:{settings.gateway_port}: {exc}") from None


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        settings = Settings.from_env()
        gateway = Gateway(settings)
    except (ValueError, SupervisorError) as exc:
        raise SystemExit(f"gateway: {exc}") from None
    try:
        gateway.metrics.serve(settings.bind, settings.metrics_port)
    except OSError as exc:
        raise SystemExit(f"gateway metrics: cannot listen on {settings.bind}:{settings.metrics_port}: {exc}") from None
    threading.Thread(target=_reconcile_forever, args=(gateway,), name="reconcile", daemon=True).start()
    with asyncio.Runner(loop_factory=_event_loop) as runner:
        runner.run(_serve(gateway))


if __name__ == "__main__":
    main()
