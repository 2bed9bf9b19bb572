"""The glue between the function template's `handle(event, context)` and the business rules.

Handlers declare routes on a `Router`, each naming its operation in the OpenAPI document; the router parses the
request, validates its query (at once) and its JSON body (when the handler reads it, so callers are told who may
call before what to send) against that operation, turns `ApiError`s and store outages into JSON errors with the
right status, and shapes every answer as the python3-http template's `{"statusCode", "body", "headers"}`, the
one shape OpenFaaS's own template also takes.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, TypedDict, cast

import jsonschema
from jsonschema import Draft202012Validator

from flmnchll import openapi
from flmnchll.errors import ApiError, BadRequest, MethodNotAllowed, NotFound, PayloadTooLarge
from flmnchll.outages import store_errors

log = logging.getLogger("flmnchll")

JSON_HEADERS = {"Content-Type": "application/json"}
MAX_JSON_BYTES = 1 << 20


def _not_a_json_number(name: str) -> Any:
    raise ValueError(f"{name} is not a number in JSON")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is too large a number")
    return value


def parse_json(body: bytes | str) -> Any:
    """JSON as the standard has it. Python's parser also takes NaN and Infinity (as words, or as 1e400, which
    overflows), which no browser reads back and no comparison orders: one stored in a room would make every
    answer about it unreadable."""
    return json.loads(body, parse_constant=_not_a_json_number, parse_float=_finite)


class Headers(Mapping[str, str]):
    """Case-insensitive, read-only view of request headers that keeps every value of a repeated header.

    `headers[name]` joins a repeated header's values with ", " (as HTTP allows); `getlist(name)` lists them.
    """

    def __init__(self, raw: Mapping[str, str] | Iterable[tuple[str, str]] | None) -> None:
        # werkzeug's Headers, what the template passes, iterates as (name, value) pairs, a repeated header's too.
        pairs = raw.items() if isinstance(raw, Mapping) else (raw or ())
        self._values: dict[str, list[str]] = {}
        for name, value in pairs:
            self._values.setdefault(name.lower(), []).append(value)

    def __getitem__(self, key: str) -> str:
        return ", ".join(self._values[key.lower()])

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def getlist(self, key: str) -> list[str]:
        """Every value the header was sent with, in order."""
        return list(self._values.get(key.lower(), []))


@dataclass
class Request:
    method: str
    path: str
    query: Mapping[str, str]
    headers: Headers
    body: bytes
    params: dict[str, str] = field(default_factory=dict)
    function: str = ""  # the function this request reached, as its router names it
    args: dict[str, Any] = field(default_factory=dict)  # the documented query parameters, typed, with defaults
    operation: openapi.Operation | None = None
    # Who this call proved to be (a session, or a password at login): the Router counts them active today.
    user_id: str | None = None
    #: run by the Router once the call is over, answered or not (e.g. counting the caller active)
    when_done: list[Callable[[], None]] = field(default_factory=list)
    _json: Any = None

    @classmethod
    def from_event(cls, event: Any) -> Request:
        body = event.body if event.body is not None else b""
        if isinstance(body, str):
            body = body.encode()
        path = "/" + (getattr(event, "path", "/") or "/").strip("/")
        query = {k: v for k, v in dict(getattr(event, "query", {}) or {}).items()}
        return cls(method=event.method.upper(), path=path, query=query,
                   headers=Headers(event.headers), body=body)

    def json(self) -> Any:
        """The body as JSON, valid for the route's operation; a clear 400 otherwise."""
        if self._json is None:
            if len(self.body) > MAX_JSON_BYTES:
                raise PayloadTooLarge("The request body is too large.")
            if not self.body.strip():
                self._json = {}
            else:
                try:
                    self._json = parse_json(self.body)
                except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # deep nesting is a bad body too
                    raise BadRequest("The request body is not valid JSON.", code="invalid_json") from exc
        body_rules = None if self.operation is None else _compiled(self.operation.id).body
        if body_rules is not None:
            _check(self._json, body_rules)
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


TYPE_NAMES = {"string": "text", "integer": "a whole number", "number": "a number", "boolean": "true or false",
              "object": "an object", "array": "a list", "null": "null"}


def _plural(count: Any, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _listed(values: Any) -> str:
    return ", ".join(json.dumps(v) if not isinstance(v, str) else v for v in values)


def _rule(error: jsonschema.ValidationError) -> str:
    """What the broken rule asks for, in words, from the error's keyword and the value the schema gives it."""
    rule, value = error.validator, cast(Any, error.validator_value)  # the schema's own value for that keyword
    types: list[str] = value if isinstance(value, list) else [value]
    phrases: dict[str, Callable[[], str]] = {
        "type": lambda: "must be " + " or ".join(TYPE_NAMES.get(t, t) for t in types) + ".",
        "enum": lambda: f"must be one of {_listed(value)}.",
        "const": lambda: f"must be {_listed([value])}.",
        "minLength": lambda: (f"must be at least {_plural(value, 'character')} long." if value != 1
                              else "must not be empty."),
        "maxLength": lambda: f"must be at most {_plural(value, 'character')} long.",
        "pattern": lambda: "is not in the expected form.",
        "format": lambda: f"must be a valid {value}.",
        "minimum": lambda: f"must be at least {value}.",
        "maximum": lambda: f"must be at most {value}.",
        "exclusiveMinimum": lambda: f"must be more than {value}.",
        "exclusiveMaximum": lambda: f"must be less than {value}.",
        "multipleOf": lambda: f"must be a multiple of {value}.",
        "minItems": lambda: f"must have at least {_plural(value, 'item')}.",
        "maxItems": lambda: f"must have at most {_plural(value, 'item')}.",
        "uniqueItems": lambda: "must not repeat an item.",
        "minProperties": lambda: f"must have at least {_plural(value, 'field')}.",
        "maxProperties": lambda: f"must have at most {_plural(value, 'field')}.",
    }
    phrase = phrases.get(str(rule))
    return phrase() if phrase else "is not valid here."


def _unexpected(error: jsonschema.ValidationError) -> list[str]:
    """The fields an `additionalProperties: false` object does not take."""
    known = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
    patterns = error.schema.get("patternProperties", {}) if isinstance(error.schema, dict) else {}
    instance = error.instance if isinstance(error.instance, dict) else {}
    return [str(k) for k in instance if k not in known and not any(re.search(p, str(k)) for p in patterns)]


def message_for(error: jsonschema.ValidationError, subject: str = "The request body") -> str:
    """A sentence a person understands, naming the field (its path in the body) and what it must be."""
    name = ".".join(str(part) for part in error.absolute_path)
    if error.validator == "required":
        instance = error.instance if isinstance(error.instance, dict) else {}
        required: list[str] = cast(list[str], error.validator_value)
        missing = [k for k in required if k not in instance] or list(required)
        return f"'{'.'.join(filter(None, [name, missing[0]]))}' is required."
    if error.validator == "additionalProperties":
        extra = _unexpected(error)
        if extra:
            return f"Unexpected field{'s' if len(extra) > 1 else ''}: {', '.join(extra)}."
        return "The request has fields this endpoint does not take."
    custom = error.schema.get("errorMessage") if isinstance(error.schema, dict) else None
    phrase = custom or _rule(error)
    return f"'{name}' {phrase}" if name else f"{subject} {phrase}"


def validate(data: Any, schema: dict, subject: str = "The request body") -> None:
    """Validate against a JSON Schema, raising a 400 a person can read."""
    _check(data, Draft202012Validator(schema), subject)


def _check(data: Any, validator: Draft202012Validator, subject: str = "The request body") -> None:
    error = jsonschema.exceptions.best_match(validator.iter_errors(data))
    if error is not None:
        raise BadRequest(message_for(error, subject), code="invalid_request")


@dataclass(frozen=True)
class _Compiled:
    body: Draft202012Validator | None
    query: dict[str, Draft202012Validator]


@cache
def _compiled(operation_id: str) -> _Compiled:
    """An operation's schemas compiled once per process: compiling one costs more than checking a request."""
    described = openapi.operation(operation_id)
    return _Compiled(body=None if described.body is None else Draft202012Validator(described.body),
                     query={param.name: Draft202012Validator(param.schema) for param in described.query()})


def _query_args(request: Request, operation: openapi.Operation) -> dict[str, Any]:
    """The operation's query parameters, typed as the document says, with its defaults; a 400 when one is wrong."""
    args: dict[str, Any] = {}
    for param in operation.query():
        raw = request.query.get(param.name, "")
        if raw == "":
            if param.required:
                raise BadRequest(f"'{param.name}' is required.", code="invalid_request")
            if "default" in param.schema:
                args[param.name] = param.schema["default"]
            continue
        kind: str = param.schema.get("type", "")
        try:
            value: Any = int(raw) if kind == "integer" else float(raw) if kind == "number" else raw
        except ValueError as exc:
            raise BadRequest(f"'{param.name}' must be {TYPE_NAMES.get(kind, kind)}.", code="invalid_request") from exc
        _check(value, _compiled(operation.id).query[param.name], subject=f"'{param.name}'")
        args[param.name] = value
    return args


Handler = Callable[[Request], Any]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: str
    regex: re.Pattern[str]
    operation: openapi.Operation
    func: Handler


class Answer(TypedDict):
    """What `handle(event, context)` returns: the python3-http template's response contract, body already encoded."""

    statusCode: int
    body: str | bytes
    headers: dict[str, str]


class Router:
    """Maps (method, path pattern) to handlers; `{name}` in a pattern captures one path segment.

    `function` is the name the function is deployed under: signed admin tasks name the function they are for.
    Every route names its operation in the OpenAPI document, which says what its query and body may hold.
    `headers` go on every answer of the function, errors too (e.g. `Cache-Control: no-store`).
    """

    def __init__(self, function: str, *, headers: Mapping[str, str] | None = None) -> None:
        self.function = function
        self.headers = dict(headers or {})
        self.routes: list[Route] = []

    def route(self, method: str, pattern: str, operation: str) -> Callable[[Handler], Handler]:
        regex = re.compile(re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern.rstrip("/") or "/") + "/?")
        described = openapi.operation(operation)
        if described.method != method.upper():
            raise ValueError(f"{method} {pattern}: the operation {operation!r} is a {described.method}")

        def register(func: Handler) -> Handler:
            self.routes.append(Route(method.upper(), pattern, regex, described, func))
            return func

        return register

    def dispatch(self, request: Request) -> Any:
        allowed = []
        for route in self.routes:
            match = route.regex.fullmatch(request.path)
            if not match:
                continue
            if route.method != request.method and not (route.method == "GET" and request.method == "HEAD"):
                allowed.append(route.method)
                continue
            request.params = match.groupdict()
            request.operation = route.operation
            request.args = _query_args(request, route.operation)
            return route.func(request)
        if allowed:
            raise MethodNotAllowed(f"{request.method} is not allowed here; use {' or '.join(sorted(set(allowed)))}.",
                                   headers={"Allow": ", ".join(sorted(set(allowed)))})
        raise NotFound(f"No such endpoint: {request.method} {request.path[:200]}")

    def handler(self) -> Callable[[Any, Any], Answer]:
        """The `handle(event, context)` entry point of the function template."""

        def handle(event: Any, context: Any) -> Answer:
            answer = self._answer(event)
            if self.headers:
                answer["headers"] = {**answer["headers"], **self.headers}
            return answer

        return handle

    def _answer(self, event: Any) -> Answer:
        try:
            request = Request.from_event(event)
            request.function = self.function
            if request.method == "OPTIONS":
                return answer("", 204, {"Allow": "GET, POST, PUT, PATCH, DELETE, OPTIONS"})
            with store_errors():
                try:
                    result = self.dispatch(request)
                finally:
                    for done in request.when_done:
                        done()
            return shape(result)
        except ApiError as error:
            return answer(json.dumps(error.body()), error.status, {**JSON_HEADERS, **error.headers})
        except Exception:
            log.exception("unhandled error")
            body = {"error": {"code": "internal_error", "message": "Something went wrong on our side."}}
            return answer(json.dumps(body), 500, dict(JSON_HEADERS))


def answer(body: str | bytes, status: int, headers: dict[str, str]) -> Answer:
    return {"statusCode": status, "body": body, "headers": headers}


def shape(result: Any) -> Answer:
    """A route's result as the template's answer: a `Response` as it says, anything else as a 200 JSON body."""
    if isinstance(result, Response):
        if result.raw:
            return answer(result.body, result.status, result.headers)
        body = "" if result.body is None else json.dumps(result.body, default=str)
        return answer(body, result.status, {**JSON_HEADERS, **result.headers})
    return answer(json.dumps(result, default=str), 200, dict(JSON_HEADERS))
