"""The gateway process: OpenFaaS's HTTP API on FAAS_GATEWAY_PORT, metrics on FAAS_METRICS_PORT.

Run as `python -m faas.gateway`. One aiohttp server on one event loop answers everything: `/function/` calls
(faas.proxy, forwarded over kept-alive aiohttp client connections on the same loop), `/async-function/`,
`/healthz` and the `/system/` API (faas.system_api).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
import time
import uuid

from aiohttp import web
from rq import Queue

from faas import async_calls, system_api
from faas.auth import BasicAuth
from faas.metrics import Metrics
from faas.provider import Provider
from faas.proxy import PREFIX, FunctionProxy, not_found_text
from faas.registry import Registry
from faas.secrets import SecretStore
from faas.settings import NAMESPACE, Settings
from faas.spec import split_namespace
from faas.supervisor_api import Supervisor, SupervisorError
from faas.wire import BodyRefused, end_to_end, no_route, read_body, start_server, text

log = logging.getLogger("faas.gateway")
ASYNC_PREFIX = "/async-function/"


class Gateway:
    """Wires the parts together and builds the web application that serves them."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.registry = Registry(settings.registry_file)
        self.supervisor = Supervisor(settings)
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

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", PREFIX + "{target:.*}", self.proxy.handle)
        app.router.add_route("*", ASYNC_PREFIX + "{target:.*}", self.async_function)
        app.router.add_get("/healthz", self.healthz)
        app.add_subapp("/system", system_api.app(self))
        app.router.add_route("*", "/{path:.*}", no_route)
        app.on_startup.append(lambda _: self.proxy.start())
        app.on_cleanup.append(lambda _: self.proxy.close())
        return app

    async def healthz(self, request: web.Request) -> web.Response:
        return text(200, "OK")

    async def async_function(self, request: web.Request) -> web.Response:
        """Queue the call and answer 202 with its X-Call-Id (faas.async_calls runs it)."""
        if request.method not in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            return text(405, f"{request.method} is not accepted for an asynchronous call")
        target, _, query = request.raw_path[len(ASYNC_PREFIX) :].partition("?")
        name_part, slash, rest = target.partition("/")
        name, namespace = split_namespace(name_part)
        spec = self.registry.get(name) if namespace == NAMESPACE else None
        if spec is None:
            return text(404, not_found_text(name))
        try:
            body = await read_body(request, self.settings.max_body_bytes, self.settings.idle_seconds)
        except BodyRefused as refused:
            return refused.response
        callback_url = request.headers.get("X-Callback-Url", "")
        refusal = self.settings.callback_allow.refusal(callback_url)
        if refusal:
            return text(400, f"X-Callback-Url refused: {refusal}")
        call_id = request.headers.get("X-Call-Id") or str(uuid.uuid4())
        headers, credentials = async_calls.split_credentials(
            [(key, value) for key, value in end_to_end(request.raw_headers).items() if key.lower() != "x-callback-url"])
        call = {
            "call_id": call_id,
            "name": name,
            "method": request.method,
            "path": "/" + rest if slash else "",
            "query": query,
            "headers": headers,
            "body": body,
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
        return web.Response(status=202, headers={"X-Call-Id": call_id})


def _reconcile_forever(gateway: Gateway) -> None:
    """Bring function processes in line with the registry, retrying while supervisord is not answering yet."""
    delay = 0.5
    while True:
        try:
            gateway.provider.reconcile()
            for spec in gateway.registry.all():
                gateway.metrics.set_replicas(spec.service, spec.replicas)
            log.info("function processes reconciled: %d function(s)", len(gateway.registry.all()))
            return
        except Exception as exc:
            log.warning("reconcile failed, retrying: %s", exc)
            time.sleep(delay)
            delay = min(delay * 2, 10.0)


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
    try:
        runner = await start_server(gateway.app(), settings.bind, settings.gateway_port, settings.idle_seconds)
    except OSError as exc:
        raise SystemExit(f"gateway: cannot listen on {settings.bind}:{settings.gateway_port}: {exc}") from None
    log.info("gateway on %s:%d, metrics on :%d", settings.bind, settings.gateway_port, settings.metrics_port)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


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
