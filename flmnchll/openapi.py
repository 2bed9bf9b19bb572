"""The OpenAPI 3.1 document of every function, and the request schemas handlers validate with.

One document is the single source of truth: handlers validate bodies against its component schemas, the
`openapi` function serves it, and the tests check the functions' answers against it. OpenAPI 3.1 schemas are
JSON Schema 2020-12, so jsonschema validates them as they are once `$ref`s are inlined.
"""

from __future__ import annotations

import copy
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

DOCUMENT_PATH = Path(__file__).with_name("openapi.yaml")


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
