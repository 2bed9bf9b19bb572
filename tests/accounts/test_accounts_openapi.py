"""The OpenAPI document itself: complete (every function and route), resolvable, and made of valid JSON Schemas."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from flmnchll import openapi
from flmnchll.errors import BadRequest
from flmnchll.web import Router, validate

FUNCTIONS = ["signup", "login", "account", "admin-users", "list-content", "content", "upload-hook", "create-room",
             "join-room", "room", "clock", "stats", "health-check", "openapi"]
METHODS = {"get", "post", "put", "patch", "delete"}
REPO = Path(__file__).resolve().parents[2]


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, op) for path, item in openapi.document()["paths"].items()
            for method, op in item.items() if method in METHODS]


def test_every_function_is_described() -> None:
    described = {path.split("/")[1] for path in openapi.document()["paths"]}
    assert set(FUNCTIONS) <= described
    with (REPO / "stack.yml").open(encoding="utf-8") as handle:
        deployed = set(yaml.safe_load(handle)["functions"])
    assert deployed <= described, deployed - described


def test_document_basics() -> None:
    doc = openapi.document()
    assert doc["openapi"].startswith("3.1.")
    ids = [op["operationId"] for _, _, op in _operations()]
    assert len(ids) == len(set(ids)), "operationIds must be unique"


@pytest.mark.parametrize("name", sorted(openapi.document()["components"]["schemas"]))
def test_component_schemas_are_valid_json_schema(name: str) -> None:
    Draft202012Validator.check_schema(openapi.schema(name))


def test_every_reference_resolves_and_errors_share_one_shape() -> None:
    for path, method, op in _operations():
        for status in op["responses"]:
            schema = openapi.response_schema(path, method, int(status))
            if int(status) >= 400:
                assert schema is not None and schema["required"] == ["error"], (path, method, status)
            if schema is not None:
                Draft202012Validator.check_schema(schema)


def test_request_schemas_say_what_is_wrong() -> None:
    with pytest.raises(Exception) as caught:
        validate({"username": "a b", "password": "long enough"}, openapi.schema("Credentials"))
    assert "3 to 32" in str(caught.value)
    with pytest.raises(Exception) as caught:
        validate({"action": "reset-password"}, openapi.schema("AdminUsersRequest"))
    assert "'username' is required." in str(caught.value)
    validate({"action": "list"}, openapi.schema("AdminUsersRequest"))


def _routers() -> dict[str, Router]:
    """Each function's router, from its handler module."""
    found = {}
    for path in sorted((REPO / "functions").glob("*/handler.py")):
        spec = importlib.util.spec_from_file_location(f"handler_{path.parent.name.replace('-', '_')}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        if isinstance(getattr(module, "router", None), Router):
            found[path.parent.name] = module.router
    return found


def test_every_route_is_the_operation_it_names_and_every_operation_has_a_route() -> None:
    served = set()
    for function, router in _routers().items():
        assert router.function == function
        for route in router.routes:
            path = f"/{function}" + (route.pattern.rstrip("/") and route.pattern)
            described = route.operation
            assert (described.method, described.path) == (route.method, path.replace("{content_id}", "{id}")), (
                function, route.pattern, described.id)
            served.add(described.id)
    assert served == set(openapi.operations())


def test_request_schemas_come_from_the_document_only() -> None:
    """No handler or library module keeps a JSON Schema of its own beside the document."""
    sources = [path for folder in ("functions", "flmnchll") for path in (REPO / folder).rglob("*.py")]
    copies = [str(path.relative_to(REPO)) for path in sources
              if any(mark in path.read_text(encoding="utf-8") for mark in ('"properties": {', "_SCHEMA = {"))]
    assert copies == []


@pytest.mark.parametrize(("body", "message"), [
    ([], "The request body must be an object."),
    ({"username": "ann", "password": "long enough", "admin": True, "x": 1}, "Unexpected fields: admin, x."),
    ({"password": "long enough"}, "'username' is required."),
])
def test_validation_errors_name_the_field_and_the_rule(body: Any, message: str) -> None:
    with pytest.raises(BadRequest) as caught:
        validate(body, openapi.schema("Credentials"))
    assert caught.value.message == message


def test_nested_fields_are_named_by_their_path() -> None:
    with pytest.raises(BadRequest) as caught:
        validate({"kind": "rendition", "generation": 1, "rendition": {"name": "a", "container": "mp4", "width": 1}},
                 openapi.schema("ContentEvent"))
    assert caught.value.message == "'rendition.height' is required."
    with pytest.raises(BadRequest) as caught:
        validate({"position": -1}, openapi.schema("ProgressReport"))
    assert caught.value.message == "'position' must be at least 0."
    with pytest.raises(BadRequest) as caught:
        validate({"position": "1:00"}, openapi.schema("ProgressReport"))
    assert caught.value.message == "'position' must be a number."
