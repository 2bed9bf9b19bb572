"""The `/system/*` API (functions, scaling, secrets, namespaces, info, logs), as faas-cli uses it.

A sub-application of the gateway behind basic authentication. Calls into the process manager, the secret
files and followed logs run on the gateway's thread pool, so the event loop never waits for them.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import platform
import threading
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web

from faas import __version__
from faas.auth import REALM
from faas.logs import stream
from faas.provider import ProviderError
from faas.secrets import PROTECTED, SecretError, check_name
from faas.settings import NAMESPACE
from faas.spec import SpecError, check_function_name, parse_deploy_request, parse_scale_request, status_json
from faas.supervisor_api import SupervisorError
from faas.wire import BodyRefused, no_route, read_body, text

if TYPE_CHECKING:
    from faas.gateway import Gateway

log = logging.getLogger("faas.system")
GATEWAY = web.AppKey("gateway", "Gateway")
routes = web.RouteTableDef()
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def as_json(data: Any, status: int = 200) -> web.Response:
    return web.Response(text=json.dumps(data), status=status, content_type="application/json")


def gw(request: web.Request) -> Gateway:
    return request.config_dict[GATEWAY]


async def _body(request: web.Request) -> Any:
    settings = gw(request).settings
    raw = await read_body(request, settings.max_body_bytes, settings.idle_seconds)
    if not raw.strip():
        raise SpecError("the request body is empty; send a JSON object")
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise SpecError(f"invalid JSON in the request body: {exc}") from None


def _check_namespace(request: web.Request) -> None:
    namespace = request.query.get("namespace", "")
    if namespace and namespace != NAMESPACE:
        raise SpecError(f"namespace {namespace!r} is not valid; the only namespace is {NAMESPACE!r}")


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Basic authentication first, then the API's errors as clear plain-text answers."""
    if not gw(request).auth.check(request.headers.get("Authorization")):
        return text(401, "Unauthorized", {"WWW-Authenticate": REALM})
    try:
        return await handler(request)
    except (SpecError, SecretError) as exc:
        return text(400, str(exc))
    except BodyRefused as refused:
        return refused.response
    except (ProviderError, SupervisorError) as exc:
        log.error("provider failure: %s", exc)
        return text(500, f"the process manager failed: {exc}")


def app(gateway: Gateway) -> web.Application:
    """The sub-application served under `/system`."""
    system = web.Application(middlewares=[guard])
    system[GATEWAY] = gateway
    system.add_routes(routes)
    system.router.add_route("*", "/{path:.*}", no_route)
    return system


# ---- functions ---------------------------------------------------------------------------------------------


@routes.get("/functions")
async def list_functions(request: web.Request) -> web.Response:
    _check_namespace(request)
    g = gw(request)
    try:
        available = await asyncio.to_thread(g.provider.available)
    except SupervisorError as exc:
        log.warning("listing without process states: %s", exc)
        available = {}
    items = []
    for spec in g.registry.all():
        g.metrics.set_replicas(spec.service, spec.replicas)
        items.append(status_json(spec, available.get(spec.service, 0), g.metrics.invocation_count(spec.service)))
    return as_json(items)


@routes.post("/functions")
@routes.put("/functions")
async def deploy_function(request: web.Request) -> web.Response:
    g = gw(request)
    spec = parse_deploy_request(await _body(request))
    update = request.method == "PUT"
    try:
        spec = await asyncio.to_thread(
            g.provider.deploy, spec, update=update or g.registry.get(spec.service) is not None)
    except LookupError:
        return text(404, f"function {spec.service} not found")
    g.metrics.set_replicas(spec.service, spec.replicas)
    log.info("%s %s: %d replica(s) on port %d", "updated" if update else "deployed", spec.service, spec.replicas,
             spec.port_start)
    return web.Response(status=202)


@routes.delete("/functions")
async def delete_function(request: web.Request) -> web.Response:
    g = gw(request)
    body = await _body(request)
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
    return web.Response(status=202)


@routes.get("/function/{name}")
async def get_function(request: web.Request) -> web.Response:
    _check_namespace(request)
    g = gw(request)
    name = request.match_info["name"]
    spec = g.registry.get(name)
    if spec is None:
        return text(404, f"function {name} not found")
    try:
        available = (await asyncio.to_thread(g.provider.available)).get(name, 0)
    except SupervisorError:
        available = 0
    return as_json(status_json(spec, available, g.metrics.invocation_count(name)))


@routes.post("/scale-function/{name}")
async def scale_function(request: web.Request) -> web.Response:
    _check_namespace(request)
    g = gw(request)
    name = request.match_info["name"]
    replicas = parse_scale_request(await _body(request))
    try:
        spec = await asyncio.to_thread(g.provider.scale, name, replicas)
    except LookupError:
        return text(404, f"function {name} not found")
    g.metrics.set_replicas(name, spec.replicas)
    return web.Response(status=202)


@routes.get("/namespaces")
async def namespaces(request: web.Request) -> web.Response:
    return as_json([NAMESPACE])


@routes.get("/info")
async def info(request: web.Request) -> web.Response:
    release = {"sha": "local", "release": __version__}
    return as_json(
        {
            "provider": {"provider": "faas-local", "orchestration": "supervisord", "version": release},
            "version": {**release, "commit_message": "local FaaS gateway"},
            "arch": platform.machine(),
        }
    )


# ---- secrets -----------------------------------------------------------------------------------------------


async def _secret_body(request: web.Request) -> tuple[str, bytes]:
    body = await _body(request)
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


@routes.get("/secrets")
async def list_secrets(request: web.Request) -> web.Response:
    _check_namespace(request)
    names = await asyncio.to_thread(gw(request).secrets.names)
    return as_json([{"name": name, "namespace": NAMESPACE} for name in names])


@routes.post("/secrets")
async def create_secret(request: web.Request) -> web.Response:
    store = gw(request).secrets
    name, value = await _secret_body(request)
    if await asyncio.to_thread(store.exists, name):
        return text(409, f"secret {name} already exists")
    await asyncio.to_thread(store.write, name, value)
    log.info("secret %s created", name)
    return web.Response(status=201)


@routes.put("/secrets")
async def update_secret(request: web.Request) -> web.Response:
    store = gw(request).secrets
    name, value = await _secret_body(request)
    if not await asyncio.to_thread(store.exists, name):
        return text(404, f"secret {name} not found")
    await asyncio.to_thread(store.write, name, value)
    log.info("secret %s updated", name)
    return web.Response(status=202)


@routes.delete("/secrets")
async def delete_secret(request: web.Request) -> web.Response:
    g = gw(request)
    name, _ = await _secret_body(request)
    if name in PROTECTED:
        return text(400, f"secret {name} protects this API and cannot be removed through it")
    users = [spec.service for spec in g.registry.all() if name in spec.secrets]
    if users:
        return text(409, f"secret {name} is used by function(s) {', '.join(users)}")
    if not await asyncio.to_thread(g.secrets.delete, name):
        return text(404, f"secret {name} not found")
    log.info("secret %s removed", name)
    return web.Response(status=202)


# ---- logs --------------------------------------------------------------------------------------------------


@routes.get("/logs")
async def function_logs(request: web.Request) -> web.StreamResponse:
    g = gw(request)
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
    response = web.StreamResponse(headers={"Content-Type": "application/x-ndjson"})
    await response.prepare(request)
    try:  # the file is read on the thread pool; a follower that left is noticed at the next line or heartbeat
        while (line := await asyncio.to_thread(next, lines, None)) is not None:
            await response.write(line)
        await response.write_eof()
    except ConnectionError:
        log.info("log follower of %s went away", name)
    finally:
        gone.set()
    return response
