"""The OpenAPI document itself: complete (every function), resolvable, and made of valid JSON Schemas."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from flmnchll import openapi
from flmnchll.web import validate

FUNCTIONS = ["signup", "login", "account", "admin-users", "list-content", "content", "upload-hook", "create-room",
             "join-room", "room", "clock", "stats", "health-check", "openapi"]
METHODS = {"get", "post", "put", "patch", "delete"}


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, op) for path, item in openapi.document()["paths"].items()
            for method, op in item.items() if method in METHODS]


def test_every_function_is_described() -> None:
    described = {path.split("/")[1] for path in openapi.document()["paths"]}
    assert set(FUNCTIONS) <= described
    with (Path(__file__).resolve().parents[2] / "stack.yml").open(encoding="utf-8") as handle:
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
