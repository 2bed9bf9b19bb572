"""The `/system/*` API (functions, scaling, secrets, namespaces, info, logs), as faas-cli uses it."""

from __future__ import annotations

import base64
import binascii
import json
import logging
import platform
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, current_app, request

from faas import __version__
from faas.logs import stream
from faas.provider import ProviderError
from faas.secrets import PROTECTED, SecretError, check_name
from faas.settings import NAMESPACE
from faas.spec import SpecError, check_function_name, parse_deploy_request, parse_scale_request, status_json
from faas.supervisor_api import SupervisorError

log = logging.getLogger("faas.system")
bp = Blueprint("system", __name__)


def text(message: str, status: int) -> Response:
    return Response(message + "\n", status=status, mimetype="text/plain")


def as_json(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, mimetype="application/json")


def gw() -> Any:
    return current_app.config["GATEWAY"]


def _body() -> Any:
    raw = request.get_data()
    if not raw.strip():
        raise SpecError("the request body is empty; send a JSON object")
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise SpecError(f"invalid JSON in the request body: {exc}") from None


def _check_namespace() -> None:
    namespace = request.args.get("namespace", "")
    if namespace and namespace != NAMESPACE:
        raise SpecError(f"namespace {namespace!r} is not valid; the only namespace is {NAMESPACE!r}")


@bp.errorhandler(SpecError)
def _bad_request(exc: SpecError) -> Response:
    return text(str(exc), 400)


@bp.errorhandler(SecretError)
def _bad_secret(exc: SecretError) -> Response:
    return text(str(exc), 400)


@bp.errorhandler(ProviderError)
@bp.errorhandler(SupervisorError)
def _provider_failed(exc: Exception) -> Response:
    log.error("provider failure: %s", exc)
    return text(f"the process manager failed: {exc}", 500)


# ---- functions ---------------------------------------------------------------------------------------------


@bp.get("/system/functions")
def list_functions() -> Response:
    _check_namespace()
    g = gw()
    try:
        available = g.provider.available()
    except SupervisorError as exc:
        log.warning("listing without process states: %s", exc)
        available = {}
    items = []
    for spec in g.registry.all():
        g.metrics.set_replicas(spec.service, spec.replicas)
        items.append(status_json(spec, available.get(spec.service, 0), g.metrics.invocation_count(spec.service)))
    return as_json(items)


@bp.post("/system/functions")
@bp.put("/system/functions")
def deploy_function() -> Response:
    g = gw()
    spec = parse_deploy_request(_body())
    update = request.method == "PUT"
    try:
        spec = g.provider.deploy(spec, update=update or g.registry.get(spec.service) is not None)
    except LookupError:
        return text(f"function {spec.service} not found", 404)
    g.metrics.set_replicas(spec.service, spec.replicas)
    log.info("%s %s: %d replica(s) on port %d", "updated" if update else "deployed", spec.service, spec.replicas,
             spec.port_start)
    return Response(status=202)


@bp.delete("/system/functions")
def delete_function() -> Response:
    g = gw()
    body = _body()
    name = body.get("functionName") if isinstance(body, dict) else None
    if not name:
        raise SpecError('the request body must be like {"functionName": "NAME"}')
    check_function_name(name)
    try:
        g.provider.remove(name)
    except LookupError:
        return text(f"function {name} not found", 404)
    g.metrics.forget(name)
    log.info("removed %s", name)
    return Response(status=202)


@bp.get("/system/function/<name>")
def get_function(name: str) -> Response:
    _check_namespace()
    g = gw()
    spec = g.registry.get(name)
    if spec is None:
        return text(f"function {name} not found", 404)
    try:
        available = g.provider.available().get(name, 0)
    except SupervisorError:
        available = 0
    return as_json(status_json(spec, available, g.metrics.invocation_count(name)))


@bp.post("/system/scale-function/<name>")
def scale_function(name: str) -> Response:
    _check_namespace()
    g = gw()
    replicas = parse_scale_request(_body())
    try:
        spec = g.provider.scale(name, replicas)
    except LookupError:
        return text(f"function {name} not found", 404)
    g.metrics.set_replicas(name, spec.replicas)
    return Response(status=202)


@bp.get("/system/namespaces")
def namespaces() -> Response:
    return as_json([NAMESPACE])


@bp.get("/system/info")
def info() -> Response:
    release = {"sha": "local", "release": __version__}
    return as_json(
        {
            "provider": {"provider": "faas-local", "orchestration": "supervisord", "version": release},
            "version": {**release, "commit_message": "local FaaS gateway"},
            "arch": platform.machine(),
        }
    )


# ---- secrets -----------------------------------------------------------------------------------------------


def _secret_body() -> tuple[str, bytes]:
    body = _body()
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


@bp.get("/system/secrets")
def list_secrets() -> Response:
    _check_namespace()
    return as_json([{"name": name, "namespace": NAMESPACE} for name in gw().secrets.names()])


@bp.post("/system/secrets")
def create_secret() -> Response:
    store = gw().secrets
    name, value = _secret_body()
    if store.exists(name):
        return text(f"secret {name} already exists", 409)
    store.write(name, value)
    log.info("secret %s created", name)
    return Response(status=201)


@bp.put("/system/secrets")
def update_secret() -> Response:
    store = gw().secrets
    name, value = _secret_body()
    if not store.exists(name):
        return text(f"secret {name} not found", 404)
    store.write(name, value)
    log.info("secret %s updated", name)
    return Response(status=202)


@bp.delete("/system/secrets")
def delete_secret() -> Response:
    g = gw()
    name, _ = _secret_body()
    if name in PROTECTED:
        return text(f"secret {name} protects this API and cannot be removed through it", 400)
    users = [spec.service for spec in g.registry.all() if name in spec.secrets]
    if users:
        return text(f"secret {name} is used by function(s) {', '.join(users)}", 409)
    if not g.secrets.delete(name):
        return text(f"secret {name} not found", 404)
    log.info("secret %s removed", name)
    return Response(status=202)


# ---- logs --------------------------------------------------------------------------------------------------


@bp.get("/system/logs")
def function_logs() -> Response:
    g = gw()
    name = request.args.get("name", "")
    check_function_name(name)
    if g.registry.get(name) is None:
        return text(f"function {name} not found", 404)
    try:
        tail = int(request.args.get("tail") or 0)
        since_raw = request.args.get("since")
        since = datetime.fromisoformat(since_raw.replace("Z", "+00:00")) if since_raw else None
    except ValueError:
        return text("could not parse the log request: tail must be a number and since an RFC3339 time", 422)
    follow = request.args.get("follow", "").lower() in ("1", "true", "yes")
    log_file = g.settings.log_dir / f"fn-{name}.log"
    return Response(stream(log_file, name, tail or None, since, follow), mimetype="application/x-ndjson")
