"""The `/system/*` API (functions, scaling, secrets, namespaces, info, logs), as faas-cli uses it.

Answered on the gateway's event loop behind basic authentication. Calls into the process manager, the secret
files and followed logs run on the gateway's thread pool, so the loop never waits for them.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import platform
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from faas import __version__
from faas.auth import REALM
from faas.logs import stream
from faas.messages import Reply, Request
from faas.provider import ProviderError
from faas.secrets import PROTECTED, SecretError, check_name
from faas.settings import NAMESPACE
from faas.spec import SpecError, check_function_name, parse_deploy_request, parse_scale_request, status_json
from faas.supervisor_api import SupervisorError

if TYPE_CHECKING:
    from faas.gateway import Gateway

log = logging.getLogger("faas.system")
PREFIX = "/system/"

Route = Callable[..., Awaitable[Reply]]
ROUTES: dict[tuple[str, str], Route] = {}  # (method, path) -> handler(gateway, request)
NAMED: dict[tuple[str, str], Route] = {}  # (method, path prefix) -> handler(gateway, request, name)


def route(method: str, path: str) -> Callable[[Route], Route]:
    """Register a handler; a path ending in `/` takes the function name that follows it."""
    def register(handler: Route) -> Route:
        (NAMED if path.endswith("/") else ROUTES)[(method, path)] = handler
        return handler
    return register


def text(status: int, message: str, extra: list[tuple[bytes, bytes]] | None = None) -> Reply:
    return Reply.text(status, message + "\n", extra)


def no_route(request: Request) -> Reply:
    return text(404, f"no route for {request.path}")


async def handle(gateway: Gateway, request: Request) -> Reply:
    """Answer one `/system/` request: authentication, routing, and the API's errors as clear text."""
    if not gateway.auth.check(request.header("Authorization")):
        return text(401, "Unauthorized", [(b"WWW-Authenticate", REALM.encode())])
    method = "GET" if request.method == "HEAD" else request.method
    path = request.path
    handler = ROUTES.get((method, path))
    args: tuple[str, ...] = ()
    if handler is None:
        for (named_method, prefix), candidate in NAMED.items():
            name = path[len(prefix):]
            if named_method == method and path.startswith(prefix) and name and "/" not in name:
                handler, args = candidate, (name,)
                break
    if handler is None:
        known = any(key[1] == path for key in ROUTES) or any(
            path.startswith(key[1]) and "/" not in path[len(key[1]):] for key in NAMED)
        return text(405, f"{request.method} is not allowed on {path}") if known else no_route(request)
    try:
        return await handler(gateway, request, *args)
    except (SpecError, SecretError) as exc:
        return text(400, str(exc))
    except (ProviderError, SupervisorError) as exc:
        log.error("provider failure: %s", exc)
        return text(500, f"the process manager failed: {exc}")


def _body(request: Request) -> Any:
    if not request.body.strip():
        raise SpecError("the request body is empty; send a JSON object")
    try:
        return json.loads(request.body)
    except ValueError as exc:
        raise SpecError(f"invalid JSON in the request body: {exc}") from None


def _check_namespace(request: Request) -> None:
    namespace = request.query.get("namespace", "")
    if namespace and namespace != NAMESPACE:
        raise SpecError(f"namespace {namespace!r} is not valid; the only namespace is {NAMESPACE!r}")


# ---- functions ---------------------------------------------------------------------------------------------


@route("GET", "/system/functions")
async def list_functions(g: Gateway, request: Request) -> Reply:
    _check_namespace(request)
    try:
        available = await asyncio.to_thread(g.provider.available)
    except SupervisorError as exc:
        log.warning("listing without process states: %s", exc)
        available = {}
    items = []
    for spec in g.registry.all():
        g.metrics.set_replicas(spec.service, spec.replicas)
        items.append(status_json(spec, available.get(spec.service, 0), g.metrics.invocation_count(spec.service)))
    return Reply.json(items)


@route("PUT", "/system/functions")
@route("POST", "/system/functions")
async def deploy_function(g: Gateway, request: Request) -> Reply:
    spec = parse_deploy_request(_body(request))
    update = request.method == "PUT"
    try:
        spec = await asyncio.to_thread(
            g.provider.deploy, spec, update=update or g.registry.get(spec.service) is not None)
    except LookupError:
        return text(404, f"function {spec.service} not found")
    g.metrics.set_replicas(spec.service, spec.replicas)
    log.info("%s %s: %d replica(s) on port %d", "updated" if update else "deployed", spec.service, spec.replicas,
             spec.port_start)
    return Reply(202)


@route("DELETE", "/system/functions")
async def delete_function(g: Gateway, request: Request) -> Reply:
    body = _body(request)
    name = body.get("functionName") if isinstance(body, dict) else None
    if not name:
        raise SpecError('the request body must be like {"functionName": "NAME"}')
    check_function_name(name)
    try:
        await asyncio.to_thread(g.provider.remove, name)
    except LookupError:
        return text(404, f"function {name} not found")
    g.metrics.forget(name)
    log.info("removed %s", name)
    return Reply(202)


@route("GET", "/system/function/")
async def get_function(g: Gateway, request: Request, name: str) -> Reply:
    _check_namespace(request)
    spec = g.registry.get(name)
    if spec is None:
        return text(404, f"function {name} not found")
    try:
        available = (await asyncio.to_thread(g.provider.available)).get(name, 0)
    except SupervisorError:
        available = 0
    return Reply.json(status_json(spec, available, g.metrics.invocation_count(name)))


@route("POST", "/system/scale-function/")
async def scale_function(g: Gateway, request: Request, name: str) -> Reply:
    _check_namespace(request)
    replicas = parse_scale_request(_body(request))
    try:
        spec = await asyncio.to_thread(g.provider.scale, name, replicas)
    except LookupError:
        return text(404, f"function {name} not found")
    g.metrics.set_replicas(name, spec.replicas)
    return Reply(202)


@route("GET", "/system/namespaces")
async def namespaces(g: Gateway, request: Request) -> Reply:
    return Reply.json([NAMESPACE])


@route("GET", "/system/info")
async def info(g: Gateway, request: Request) -> Reply:
    release = {"sha": "local", "release": __version__}
    return Reply.json(
        {
            "provider": {"provider": "faas-local", "orchestration": "supervisord", "version": release},
            "version": {**release, "commit_message": "local FaaS gateway"},
            "arch": platform.machine(),
        }
    )


# ---- secrets -----------------------------------------------------------------------------------------------


def _secret_body(request: Request) -> tuple[str, bytes]:
    body = _body(request)
    if not isinstance(body, dict):
        raise SpecError('the request body must be like {"name": "NAME", "value": "..."}')
    namespace = body.get("namespace") or NAMESPACE
    if namespace != NAMESPACE:
        raise SpecError(f"namespace {namespace!r} is not valid; the only namespace is {NAMESPACE!r}")
    name = check_name(body.get("name"))
    if request.method == "DELETE":
        return name, b""
    if body.get("rawValue"):
        try:
            return name, base64.b64decode(body["rawValue"], validate=True)
        except (binascii.Error, TypeError, ValueError):
            raise SpecError("rawValue must be base64") from None
    value = body.get("value")
    if not isinstance(value, str):
        raise SpecError("value (a string) or rawValue (base64) is required")
    return name, value.encode()


@route("GET", "/system/secrets")
async def list_secrets(g: Gateway, request: Request) -> Reply:
    _check_namespace(request)
    names = await asyncio.to_thread(g.secrets.names)
    return Reply.json([{"name": name, "namespace": NAMESPACE} for name in names])


@route("POST", "/system/secrets")
async def create_secret(g: Gateway, request: Request) -> Reply:
    store = g.secrets
    name, value = _secret_body(request)
    if await asyncio.to_thread(store.exists, name):
        return text(409, f"secret {name} already exists")
    await asyncio.to_thread(store.write, name, value)
    log.info("secret %s created", name)
    return Reply(201)


@route("PUT", "/system/secrets")
async def update_secret(g: Gateway, request: Request) -> Reply:
    store = g.secrets
    name, value = _secret_body(request)
    if not await asyncio.to_thread(store.exists, name):
        return text(404, f"secret {name} not found")
    await asyncio.to_thread(store.write, name, value)
    log.info("secret %s updated", name)
    return Reply(202)


@route("DELETE", "/system/secrets")
async def delete_secret(g: Gateway, request: Request) -> Reply:
    name, _ = _secret_body(request)
    if name in PROTECTED:
        return text(400, f"secret {name} protects this API and cannot be removed through it")
    users = [spec.service for spec in g.registry.all() if name in spec.secrets]
    if users:
        return text(409, f"secret {name} is used by function(s) {', '.join(users)}")
    if not await asyncio.to_thread(g.secrets.delete, name):
        return text(404, f"secret {name} not found")
    log.info("secret %s removed", name)
    return Reply(202)


# ---- logs --------------------------------------------------------------------------------------------------


@route("GET", "/system/logs")
async def function_logs(g: Gateway, request: Request) -> Reply:
    name = request.query.get("name", "")
    check_function_name(name)
    if g.registry.get(name) is None:
        return text(404, f"function {name} not found")
    try:
        tail = int(request.query.get("tail") or 0)
        since_raw = request.query.get("since")
        since = datetime.fromisoformat(since_raw.replace("Z", "+00:00")) if since_raw else None
    except ValueError:
        return text(422, "could not parse the log request: tail must be a number and since an RFC3339 time")
    follow = request.query.get("follow", "").lower() in ("1", "true", "yes")
    gone = threading.Event()
    lines = stream(g.settings.log_dir / f"fn-{name}.log", name, tail or None, since, follow,
                   keep_going=lambda: not gone.is_set())
    return Reply(200, [(b"Content-Type", b"application/x-ndjson")], stream=_lines(lines, gone))


async def _lines(lines: Iterator[bytes], gone: threading.Event) -> AsyncIterator[bytes]:
    """The log's lines, each read on the thread pool; stops the reader when the follower goes away."""
    try:
        while (line := await asyncio.to_thread(next, lines, None)) is not None:
            yield line
    finally:
        gone.set()
