"""The glue between the function template's `handle(event, context)` and the business rules.

Handlers declare routes on a `Router`; the router parses the request, turns `ApiError`s and store outages into
JSON errors with the right status, and shapes every answer as `(body, status, headers)`.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import jsonschema
from jsonschema import Draft202012Validator

from flmnchll.errors import ApiError, BadRequest, MethodNotAllowed, NotFound, PayloadTooLarge
from flmnchll.outages import store_errors

log = logging.getLogger("flmnchll")

JSON_HEADERS = {"Content-Type": "application/json"}
MAX_JSON_BYTES = 1 << 20


class Headers(Mapping[str, str]):
    """Case-insensitive, read-only view of request headers."""

    def __init__(self, raw: Mapping[str, str] | None) -> None:
        self._items = {k.lower(): v for k, v in (raw or {}).items()}

    def __getitem__(self, key: str) -> str:
        return self._items[key.lower()]

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        return self._items.get(key.lower(), default)


@dataclass
class Request:
    method: str
    path: str
    query: Mapping[str, str]
    headers: Headers
    body: bytes
    params: dict[str, str] = field(default_factory=dict)
    function: str = ""  # the function this request reached, as its router names it
    _json: Any = None

    @classmethod
    def from_event(cls, event: Any) -> Request:
        body = event.body if event.body is not None else b""
        if isinstance(body, str):
            body = body.encode()
        path = "/" + (getattr(event, "path", "/") or "/").strip("/")
        query = {k: v for k, v in dict(getattr(event, "query", {}) or {}).items()}
        return cls(method=event.method.upper(), path=path, query=query,
                   headers=Headers(dict(event.headers or {})), body=body)

    def json(self, schema: dict | None = None) -> Any:
        """The body as JSON, validated against `schema` when given; a clear 400 otherwise."""
        if self._json is None:
            if len(self.body) > MAX_JSON_BYTES:
                raise PayloadTooLarge("The request body is too large.")
            if not self.body.strip():
                self._json = {}
            else:
                try:
                    self._json = json.loads(self.body)
                except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # deep nesting is a bad body too
                    raise BadRequest("The request body is not valid JSON.", code="invalid_json") from exc
        if schema is not None:
            validate(self._json, schema)
        return self._json

    def replace_body(self, payload: Any) -> None:
        """Stand `payload` in for the body (an admin task's envelope, once checked, gives way to its payload)."""
        self.body = json.dumps(payload).encode()
        self._json = payload

    @property
    def client_ip(self) -> str:
        """The caller's address as the front door saw it.

        X-Real-IP (nginx sets it to `$remote_addr`) wins; otherwise the *last* X-Forwarded-For entry, the one our
        own proxy appended. The first entry is whatever the client chose to send, so rate limits keyed on it could
        be dodged by a forged header.
        """
        real = self.headers.get("x-real-ip", "").strip()
        if real:
            return real
        forwarded = self.headers.get("x-forwarded-for", "")
        if forwarded:
            return forwarded.split(",")[-1].strip() or "unknown"
        return "unknown"

    def bearer_token(self) -> str | None:
        value = self.headers.get("authorization", "")
        if value.lower().startswith("bearer "):
            token = value[7:].strip()
            return token or None
        return None


@dataclass
class Response:
    body: Any = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    raw: bool = False  # body is already bytes/str with its own Content-Type


def _field_name(error: jsonschema.ValidationError) -> str:
    path = ".".join(str(p) for p in error.absolute_path)
    if error.validator == "required" and isinstance(error.validator_value, list):
        missing = re.findall(r"'([^']+)' is a required property", error.message)
        if missing:
            return ".".join(filter(None, [path, missing[0]]))
    return path


def validate(data: Any, schema: dict) -> None:
    """Validate against a JSON Schema, raising a 400 a person can read."""
    validator = Draft202012Validator(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(data))
    if error is None:
        return
    name = _field_name(error)
    custom = (error.schema.get("errorMessage") if isinstance(error.schema, dict) else None)
    if error.validator == "required":
        message = f"'{name}' is required."
    elif error.validator == "additionalProperties":
        extra = re.findall(r"'([^']*)'", error.message.split("(")[-1])
        message = (f"Unexpected field{'s' if len(extra) > 1 else ''}: {', '.join(extra)}." if extra
                   else "The request has fields this endpoint does not take.")
    elif custom:
        message = f"'{name}' {custom}" if name else custom
    else:
        message = f"'{name}': {error.message}" if name else error.message
    raise BadRequest(message, code="invalid_request")


Handler = Callable[[Request], Any]


class Router:
    """Maps (method, path pattern) to handlers; `{name}` in a pattern captures one path segment.

    `function` is the name the function is deployed under: signed admin tasks name the function they are for.
    """

    def __init__(self, function: str) -> None:
        self.function = function
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []

    def route(self, method: str, pattern: str) -> Callable[[Handler], Handler]:
        regex = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern.rstrip("/") or "/") + "/?$")

        def register(func: Handler) -> Handler:
            self._routes.append((method.upper(), regex, func))
            return func

        return register

    def dispatch(self, request: Request) -> Any:
        allowed = []
        for method, regex, func in self._routes:
            match = regex.match(request.path)
            if not match:
                continue
            if method != request.method and not (method == "GET" and request.method == "HEAD"):
                allowed.append(method)
                continue
            request.params = match.groupdict()
            return func(request)
        if allowed:
            raise MethodNotAllowed(f"{request.method} is not allowed here; use {' or '.join(sorted(set(allowed)))}.",
                                   headers={"Allow": ", ".join(sorted(set(allowed)))})
        raise NotFound(f"No such endpoint: {request.method} {request.path}")

    def handler(self) -> Callable[[Any, Any], tuple[Any, int, dict[str, str]]]:
        """The `handle(event, context)` entry point of the function template."""

        def handle(event: Any, context: Any) -> tuple[Any, int, dict[str, str]]:
            try:
                request = Request.from_event(event)
                request.function = self.function
                if request.method == "OPTIONS":
                    return "", 204, {"Allow": "GET, POST, PUT, PATCH, DELETE, OPTIONS"}
                with store_errors():
                    result = self.dispatch(request)
                return shape(result)
            except ApiError as error:
                return json.dumps(error.body()), error.status, {**JSON_HEADERS, **error.headers}
            except Exception:
                log.exception("unhandled error")
                body = {"error": {"code": "internal_error", "message": "Something went wrong on our side."}}
                return json.dumps(body), 500, dict(JSON_HEADERS)

        return handle


def shape(result: Any) -> tuple[Any, int, dict[str, str]]:
    if isinstance(result, Response):
        if result.raw:
            return result.body, result.status, result.headers
        body = "" if result.body is None else json.dumps(result.body, default=str)
        return body, result.status, {**JSON_HEADERS, **result.headers}
    return json.dumps(result, default=str), 200, dict(JSON_HEADERS)
