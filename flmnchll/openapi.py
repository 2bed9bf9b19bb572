"""The OpenAPI 3.1 document of every function, and the requests handlers validate against it.

One document is the single source of truth: each route names its operation (`operationId`), the router
validates that route's query and body against the operation, the `openapi` function serves the document, and
the tests check the functions' answers against it. OpenAPI 3.1 schemas are JSON Schema 2020-12, so jsonschema
validates them as they are once `$ref`s are inlined.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

DOCUMENT_PATH = Path(__file__).with_name("openapi.yaml")
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


@lru_cache(maxsize=1)
def document() -> dict[str, Any]:
    """The parsed document (read once per process)."""
    with DOCUMENT_PATH.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _resolve(node: Any, doc: dict[str, Any], seen: tuple[str, ...] = ()) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            if ref in seen:
                raise ValueError(f"recursive $ref {ref} cannot be inlined")
            target: Any = doc
            for part in ref[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            merged = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
            return _resolve(merged, doc, (*seen, ref))
        return {k: _resolve(v, doc, seen) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve(v, doc, seen) for v in node]
    return node


@lru_cache(maxsize=64)
def _schema(name: str) -> dict[str, Any]:
    doc = document()
    return _resolve(doc["components"]["schemas"][name], doc)


def schema(name: str) -> dict[str, Any]:
    """A component schema with every `$ref` inlined, ready for `flmnchll.web.validate`."""
    return copy.deepcopy(_schema(name))


def response_schema(path: str, method: str, status: int) -> dict[str, Any] | None:
    """The JSON schema the document promises for one answer, or None when it names no body."""
    doc = document()
    operation = doc["paths"][path][method.lower()]
    response = operation["responses"].get(str(status))
    if response is None:
        return None
    response = _resolve(response, doc)
    content = response.get("content", {}).get("application/json")
    return content.get("schema") if content else None


def documented_statuses(path: str, method: str) -> set[int]:
    return {int(code) for code in document()["paths"][path][method.lower()]["responses"]}


@dataclass(frozen=True)
class Parameter:
    name: str
    location: str  # "query", "path" or "header"
    required: bool
    schema: dict[str, Any]


@dataclass(frozen=True)
class Operation:
    """One operation of the document, with its `$ref`s inlined: what a route accepts and may answer."""

    id: str
    method: str
    path: str
    parameters: tuple[Parameter, ...]
    body: dict[str, Any] | None  # the JSON schema of an application/json request body
    statuses: frozenset[int]

    def query(self) -> tuple[Parameter, ...]:
        return tuple(p for p in self.parameters if p.location == "query")


def _parameters(item: dict[str, Any], op: dict[str, Any], doc: dict[str, Any]) -> tuple[Parameter, ...]:
    """The path item's parameters overridden by the operation's own (same name and place)."""
    merged: dict[tuple[str, str], Parameter] = {}
    for raw in [*item.get("parameters", []), *op.get("parameters", [])]:
        param = _resolve(raw, doc)
        merged[(param["name"], param["in"])] = Parameter(param["name"], param["in"], bool(param.get("required")),
                                                         param.get("schema", {}))
    return tuple(merged.values())


@lru_cache(maxsize=1)
def operations() -> dict[str, Operation]:
    """Every operation of the document by its operationId."""
    doc = document()
    found: dict[str, Operation] = {}
    for path, item in doc["paths"].items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            body = _resolve(op.get("requestBody", {}), doc).get("content", {}).get("application/json")
            found[op["operationId"]] = Operation(
                id=op["operationId"], method=method.upper(), path=path, parameters=_parameters(item, op, doc),
                body=body.get("schema") if body else None, statuses=frozenset(int(s) for s in op["responses"]))
    return found


def operation(operation_id: str) -> Operation:
    """The operation named `operation_id`; a KeyError names the id when the document has none."""
    try:
        return operations()[operation_id]
    except KeyError:
        raise KeyError(f"the OpenAPI document has no operation {operation_id!r}") from None
