"""The gateway process: OpenFaaS's HTTP API on FAAS_GATEWAY_PORT, metrics on FAAS_METRICS_PORT.

Run as `python -m faas.gateway`. The public port is the front's event loop (faas.front): it answers
`/function/` calls itself, to keep the added latency and CPU low, and relays everything else to the Flask
application below, served by waitress on a private loopback port.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, Response, request
from rq import Queue

from faas import async_calls
from faas.auth import REALM, BasicAuth
from faas.front import Front, serve
from faas.messages import REASONS
from faas.metrics import Metrics
from faas.provider import Provider
from faas.proxy import HOP_BY_HOP as PROXY_HOP_BY_HOP
from faas.proxy import FunctionProxy, not_found_text
from faas.registry import Registry
from faas.secrets import SecretStore
from faas.settings import NAMESPACE, Settings
from faas.spec import split_namespace
from faas.supervisor_api import Supervisor, SupervisorError
from faas.system_api import bp as system_bp
from faas.system_api import text

log = logging.getLogger("faas.gateway")

StartResponse = Callable[..., Any]
# The same headers the front leaves out of a synchronous call, as the WSGI environ spells them.
HOP_BY_HOP = frozenset(name.decode() for name in PROXY_HOP_BY_HOP)


def status_line(code: int) -> str:
    """The WSGI status line with the standard reason phrase."""
    return f"{code} {REASONS.get(code, 'Unknown')}"


def request_headers(environ: dict[str, Any]) -> list[tuple[str, str]]:
    """Rebuild the client's headers from the WSGI environ, less hop-by-hop ones and the length."""
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


class Gateway:
    """Wires the parts together and is itself the WSGI application of the control plane."""

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
        self.app = self._flask()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        def standard_reason(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            # Werkzeug spells reasons in capitals ("202 ACCEPTED"); clients print them, so use the usual ones.
            return start_response(status_line(int(status[:3])), headers, exc_info)

        return self.app(environ, standard_reason)

    @property
    def queue(self) -> Queue:
        if self._queue is None:
            self._queue = async_calls.queue(self.settings)
        return self._queue

    def _flask(self) -> Flask:
        app = Flask("faas.gateway")
        app.config["GATEWAY"] = self
        app.config["MAX_CONTENT_LENGTH"] = self.settings.max_body_bytes
        app.register_blueprint(system_bp)

        @app.before_request
        def _authenticate() -> Response | None:
            if request.path.startswith("/system/") and not self.auth.check(request.headers.get("Authorization")):
                response = text("Unauthorized", 401)
                response.headers["WWW-Authenticate"] = REALM
                return response
            return None

        @app.get("/healthz")
        def healthz() -> Response:
            return text("OK", 200)

        @app.route("/async-function/<path:target>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
        def async_function(target: str) -> Response:
            return self._async(target)

        @app.errorhandler(413)
        def _too_large(_: Exception) -> Response:
            return text(f"request body exceeds the limit of {self.settings.max_body_bytes} bytes", 413)

        @app.errorhandler(404)
        def _not_found(_: Exception) -> Response:
            return text(f"no route for {request.path}", 404)

        return app

    def _async(self, target: str) -> Response:
        name_part, slash, rest = target.partition("/")
        name, namespace = split_namespace(name_part)
        spec = self.registry.get(name) if namespace == NAMESPACE else None
        if spec is None:
            return text(not_found_text(name), 404)
        if (request.content_length or 0) > self.settings.max_body_bytes:
            return text(f"request body exceeds the limit of {self.settings.max_body_bytes} bytes", 413)
        callback_url = request.headers.get("X-Callback-Url", "")
        refusal = self.settings.callback_allow.refusal(callback_url)
        if refusal:
            return text(f"X-Callback-Url refused: {refusal}", 400)
        call_id = request.headers.get("X-Call-Id") or str(uuid.uuid4())
        headers, credentials = async_calls.split_credentials(
            [(k, v) for k, v in request_headers(request.environ) if k.lower() != "x-callback-url"])
        call = {
            "call_id": call_id,
            "name": name,
            "method": request.method,
            "path": "/" + rest if slash else "",
            "query": request.query_string.decode("latin-1"),
            "headers": headers,
            "body": request.get_data(),
            "callback_url": callback_url,
            "timeout": spec.exec_timeout or self.settings.default_timeout,
            "queued_at": time.time(),
        }
        try:
            async_calls.enqueue(self.queue, call, call["timeout"], credentials)
        except Exception as exc:  # the queue being away must not look like a function error
            log.error("cannot queue async call of %s: %s", name, exc)
            self._queue = None
            return text(f"cannot queue the call: the queue is unavailable ({type(exc).__name__})", 503)
        response = Response(status=202)
        response.headers["X-Call-Id"] = call_id
        return response


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


def _control_plane(gateway: Gateway, settings: Settings) -> Any:
    """The Flask application on waitress, on a private loopback port only the front talks to."""
    from waitress.server import create_server

    return create_server(
        gateway,
        host="127.0.0.1",
        port=0,
        threads=settings.gateway_threads,
        max_request_body_size=settings.max_body_bytes,
        connection_limit=1000,
        channel_timeout=300,
        ident="",
        # Callers reach the gateway through the front door, which sets X-Forwarded-*: pass them on.
        clear_untrusted_proxy_headers=False,
    )


def _event_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:  # the standard loop works too, at a higher cost per call
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    try:
        settings = Settings.from_env()
        gateway = Gateway(settings)
    except (ValueError, SupervisorError) as exc:
        raise SystemExit(f"gateway: {exc}") from None
    try:
        gateway.metrics.serve(settings.bind, settings.metrics_port)
    except OSError as exc:
        raise SystemExit(f"gateway metrics: cannot listen on {settings.bind}:{settings.metrics_port}: {exc}") from None
    control = _control_plane(gateway, settings)
    threading.Thread(target=control.run, name="control-plane", daemon=True).start()
    threading.Thread(target=_reconcile_forever, args=(gateway,), name="reconcile", daemon=True).start()
    front = Front(gateway.proxy.handle, control.effective_port, settings.max_body_bytes)

    def ready() -> None:
        log.info("gateway on %s:%d, metrics on :%d", settings.bind, settings.gateway_port, settings.metrics_port)

    with asyncio.Runner(loop_factory=_event_loop) as runner:
        try:
            runner.run(serve(front, settings.bind, settings.gateway_port, ready))
        except OSError as exc:
            raise SystemExit(f"gateway: cannot listen on {settings.bind}:{settings.gateway_port}: {exc}") from None


if __name__ == "__main__":
    main()
