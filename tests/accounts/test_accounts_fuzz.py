"""Property test: whatever arrives at the account functions, the answer is never a 5xx, always well shaped,
and what the OpenAPI document promises for that operation."""

from __future__ import annotations

import json
import secrets
from typing import Any

import jsonschema
import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flmnchll import openapi

JSON_LEAVES = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40)
ANY_JSON = st.recursive(JSON_LEAVES, lambda inner: st.lists(inner, max_size=4)
                        | st.dictionaries(st.text(max_size=12), inner, max_size=4), max_leaves=12)
NAMES = st.text(alphabet="abcXYZ019_.-é ;\x00", min_size=0, max_size=40)
PASSWORDS = st.text(max_size=140)
ACTIONS = st.sampled_from(["list", "promote", "demote", "reset-password", "delete", "LIST", "", "drop"])

# Bodies shaped like the real ones (so the deep paths run), mixed with anything at all.
CREDENTIALS = st.fixed_dictionaries({}, optional={"username": NAMES | ANY_JSON, "password": PASSWORDS | ANY_JSON})
PASSWORD_CHANGE = st.fixed_dictionaries({}, optional={"current_password": PASSWORDS | ANY_JSON,
                                                      "new_password": PASSWORDS | ANY_JSON})
ADMIN = st.fixed_dictionaries({"action": ACTIONS | ANY_JSON}, optional={
    "username": NAMES, "password": PASSWORDS, "role": st.sampled_from(["admin", "viewer", "root"]),
    "page": st.integers(-2, 10**6) | ANY_JSON, "per_page": st.integers(-2, 10**4)})
BODIES = st.one_of(CREDENTIALS, PASSWORD_CHANGE, ADMIN, ANY_JSON).map(lambda b: json.dumps(b).encode()) | st.binary(
    max_size=200)

HEADER_TEXT = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=60).map(str.strip)
HEADERS = st.fixed_dictionaries({}, optional={
    "Authorization": st.sampled_from(["Bearer", "Bearer x", "Basic abc", "bearer  x"]) | HEADER_TEXT,
    "X-Hub-Signature": st.sampled_from(["sha1=", "sha256=00", "md5=1", "sha1=zz"]) | HEADER_TEXT,
    "Content-Type": st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded"]),
    "X-Real-IP": HEADER_TEXT,
    "X-Forwarded-For": HEADER_TEXT,
})

# (function, sub-path, method) of every account operation, plus paths and methods nobody documented.
OPERATIONS = [("signup", "", "POST"), ("login", "", "POST"), ("account", "me", "GET"), ("account", "logout", "POST"),
              ("account", "logout-all", "POST"), ("account", "password", "POST"), ("admin-users", "", "POST")]
ODD = st.tuples(st.sampled_from(["signup", "login", "account", "admin-users"]),
                st.sampled_from(["", "me", "x/y", "password/", "%00", "a%2Fb", "logout-all/extra"]),
                st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]))


def _doc_path(function: str, sub: str) -> str:
    return f"/{function}" + (f"/{sub}" if sub else "")


def _check(stack: Any, function: str, sub: str, method: str, body: bytes, headers: dict[str, str]) -> None:
    if not headers.get("X-Real-IP", "").strip():
        # an address of its own, so the failures generated here never lock out the other tests' logins
        headers = {**headers, "X-Real-IP": f"fuzz-{secrets.token_hex(6)}"}
    url = f"{stack.gateway_url}/function/{function}" + (f"/{sub}" if sub else "")
    response = requests.request(method, url, data=body, headers=headers, timeout=30)
    assert response.status_code < 500, (function, sub, method, body[:200], headers, response.text)
    if response.status_code >= 400:
        error = response.json()["error"]
        assert isinstance(error["code"], str) and isinstance(error["message"], str) and error["message"]
    path = _doc_path(function, sub)
    if path in openapi.document()["paths"] and method.lower() in openapi.document()["paths"][path]:
        statuses = openapi.documented_statuses(path, method) | {404, 405, 413}
        assert response.status_code in statuses, (path, method, response.status_code, response.text)
        schema = openapi.response_schema(path, method, response.status_code)
        if schema is not None:
            jsonschema.validate(response.json(), schema)


FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.mark.parametrize("operation", OPERATIONS, ids=["/".join(filter(None, op[:2])) for op in OPERATIONS])
def test_no_5xx_on_documented_operations(stack: Any, operation: tuple[str, str, str]) -> None:
    function, sub, method = operation
    viewer = stack.signup_login("fz")

    @FUZZ
    @given(body=BODIES, headers=HEADERS, use_real_token=st.booleans())
    def run(body: bytes, headers: dict[str, str], use_real_token: bool) -> None:
        if use_real_token and function in ("account", "admin-users"):
            headers = {**headers, "Authorization": f"Bearer {viewer['token']}"}
            if sub in ("logout", "logout-all"):
                return  # would end the session the other examples use
        _check(stack, function, sub, method, body, headers)

    run()


@FUZZ
@given(target=ODD, body=BODIES, headers=HEADERS)
def test_no_5xx_anywhere(stack: Any, target: tuple[str, str, str], body: bytes, headers: dict[str, str]) -> None:
    _check(stack, *target, body, headers)


def test_admin_fuzz_as_admin(stack: Any) -> None:
    """With an admin's token the deep admin paths run; a generated username only ever hits test accounts."""
    token = stack.admin_token()

    @FUZZ
    @given(body=ADMIN)
    def run(body: dict[str, Any]) -> None:
        if body.get("action") in ("delete", "demote", "reset-password") and body.get("username", "").lower() in (
                "admin",):
            return  # would take the administrator away from the tests that follow
        _check(stack, "admin-users", "", "POST", json.dumps(body).encode(), {"Authorization": f"Bearer {token}"})

    run()
