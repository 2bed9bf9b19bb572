"""Accounts end to end: through the real gateway to the deployed functions, on real FerretDB and Redis."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
from typing import Any

import pytest
import requests

PASSWORD = "correct horse battery"


def _error(response: requests.Response) -> dict[str, str]:
    """Every error answer is JSON `{"error": {"code", "message"}}` with a message meant for a person."""
    assert response.headers["Content-Type"].startswith("application/json"), response.text
    error = response.json()["error"]
    assert error["code"] and len(error["message"]) > 10, error
    return error


def _as(address: str) -> dict[str, str]:
    """Pose as one client address (what the front door puts in X-Real-IP), so counters stay per test."""
    return {"X-Real-IP": address}


def test_signup_login_me_logout(stack: Any, name: str, address: str) -> None:
    created = stack.call("signup", json={"username": name, "password": PASSWORD}, headers=_as(address))
    assert created.status_code == 201, created.text
    assert created.json()["username"] == name and created.json()["id"]

    login = stack.call("login", json={"username": name.upper(), "password": PASSWORD}, headers=_as(address))
    assert login.status_code == 200, login.text
    token, user = login.json()["token"], login.json()["user"]
    assert user == {**user, "id": created.json()["id"], "username": name, "role": "viewer"}

    me = stack.call("account", "me", method="GET", token=token)
    assert me.status_code == 200 and me.json()["username"] == name

    # also through the front door, as the browser does
    front = stack.call("account", "me", method="GET", token=token, via_front=True)
    assert front.status_code == 200 and front.json()["id"] == user["id"]

    out = stack.call("account", "logout", token=token)
    assert out.status_code == 200 and out.json()["ok"] is True
    refused = stack.call("account", "me", method="GET", token=token)
    assert refused.status_code == 401
    assert "log in" in _error(refused)["message"].lower()


def test_no_token_and_garbage_token(stack: Any) -> None:
    missing = stack.call("account", "me", method="GET")
    assert missing.status_code == 401 and "Bearer" in _error(missing)["message"]
    garbage = stack.call("account", "me", method="GET", token="not-a-real-token")
    assert garbage.status_code == 401 and _error(garbage)["code"] == "session_expired"


def test_duplicate_name_any_case(stack: Any, name: str, address: str) -> None:
    first = stack.call("signup", json={"username": name, "password": PASSWORD}, headers=_as(address))
    again = stack.call("signup", json={"username": name.upper(), "password": PASSWORD}, headers=_as(address))
    assert first.status_code == 201 and again.status_code == 409
    assert "taken" in _error(again)["message"]


def test_two_concurrent_signups_one_wins(stack: Any, name: str) -> None:
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def signup(spelling: str, address: str) -> None:
        barrier.wait()
        statuses.append(stack.call("signup", json={"username": spelling, "password": PASSWORD},
                                   headers=_as(address)).status_code)

    threads = [threading.Thread(target=signup, args=(spelling, f"10.9.9.{i}"))
               for i, spelling in enumerate([name, name.upper()])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201, 409]
    assert stack.db().users.count_documents({"username_lower": name.lower()}) == 1


@pytest.mark.parametrize("body, field", [
    ({"username": "ab", "password": PASSWORD}, "username"),
    ({"username": "has space", "password": PASSWORD}, "username"),
    ({"username": "okname", "password": "short"}, "password"),
    ({"username": "okname", "password": "x" * 129}, "password"),
    ({"username": "okname"}, "password"),
    ({"password": PASSWORD}, "username"),
])
def test_signup_validation(stack: Any, body: dict[str, str], field: str, address: str) -> None:
    response = stack.call("signup", json=body, headers=_as(address))
    assert response.status_code == 400
    assert field in _error(response)["message"]


def test_not_json(stack: Any, address: str) -> None:
    response = stack.call("signup", data=b"{not json", headers={**_as(address), "Content-Type": "application/json"})
    assert response.status_code == 400 and _error(response)["code"] == "invalid_json"
    wrong_method = stack.call("signup", method="GET")
    assert wrong_method.status_code == 405


def _wrong(stack: Any, name: str, address: str) -> requests.Response:
    return stack.call("login", json={"username": name, "password": "not the password"}, headers=_as(address))


def _right(stack: Any, name: str, address: str) -> requests.Response:
    return stack.call("login", json={"username": name, "password": PASSWORD}, headers=_as(address))


def test_guessing_from_one_address_waits_but_never_locks_the_owner_out(stack: Any, name: str, address: str) -> None:
    """Threat model row "Login throttling": failures from A against X never block X from B."""
    from flmnchll import ratelimit

    assert stack.call("signup", json={"username": name, "password": PASSWORD}, headers=_as(address)).status_code == 201
    for _ in range(ratelimit.login_policy().free_failures):
        wrong = _wrong(stack, name, address)
        assert wrong.status_code == 401
        assert _error(wrong)["message"] == "Wrong username or password."
    slowed = _wrong(stack, name, address)
    assert slowed.status_code == 429 and _error(slowed)["code"] == "too_many_login_attempts"
    assert slowed.headers["Retry-After"] == "2"
    assert "Please wait 2 seconds and try again" in _error(slowed)["message"]
    # even the right password waits at that address: the guesser must not learn it was right
    assert _right(stack, name, address).status_code == 429
    # the owner, from anywhere else, gets in at once, every time
    for other in ("10.200.0.1", "2001:db8::7"):
        right = _right(stack, name.upper(), other)
        assert right.status_code == 200, right.text


def test_guessing_from_an_address_never_locks_out_another_account_there(stack: Any, name: str, address: str) -> None:
    """Threat model row "Login throttling": failures from A against X (and many others) never block Y from A."""
    from flmnchll import ratelimit

    neighbour = stack.signup_login("nb")
    for _ in range(ratelimit.login_policy().free_failures):
        assert _wrong(stack, name, address).status_code == 401
    sprayed = [_wrong(stack, f"{name}{i}", address).status_code for i in range(35)]
    assert set(sprayed) == {401}  # a name this address never tried before: its first try is always heard
    assert _wrong(stack, name, address).status_code == 429
    right = _right(stack, neighbour["username"], address)
    assert right.status_code == 200, right.text


def test_expired_token_refused(stack: Any) -> None:
    session = stack.signup_login("exp")
    token = session["token"]
    key = "session:" + hashlib.sha256(token.encode()).hexdigest()
    assert stack.redis().ttl(key) > 0  # sessions carry an expiry in Redis
    stack.redis().pexpire(key, 1)
    stack.wait_until(lambda: not stack.redis().exists(key), timeout=5, interval=0.01)  # Redis says it expired
    refused = stack.call("account", "me", method="GET", token=token)
    assert refused.status_code == 401 and "expired" in _error(refused)["message"]


def test_password_change_and_logout_all(stack: Any) -> None:
    session = stack.signup_login("pw")
    other = stack.login(session["username"], session["password"])["token"]
    wrong = stack.call("account", "password", token=session["token"],
                       json={"current_password": "not it at all", "new_password": "a new password"})
    assert wrong.status_code == 401
    changed = stack.call("account", "password", token=session["token"],
                         json={"current_password": session["password"], "new_password": "a new password"})
    assert changed.status_code == 200 and changed.json()["sessions_ended"] == 1
    assert stack.call("account", "me", method="GET", token=session["token"]).status_code == 200
    assert stack.call("account", "me", method="GET", token=other).status_code == 401
    third = stack.login(session["username"], "a new password")["token"]
    everywhere = stack.call("account", "logout-all", token=third)
    assert everywhere.status_code == 200 and everywhere.json()["sessions_ended"] == 2
    for token in (session["token"], third):
        assert stack.call("account", "me", method="GET", token=token).status_code == 401


def test_viewer_calling_admin_function_is_forbidden(stack: Any) -> None:
    viewer = stack.signup_login("viewer")
    response = stack.call("admin-users", token=viewer["token"], json={"action": "list"})
    assert response.status_code == 403 and "administrator" in _error(response)["message"]
    nobody = stack.call("admin-users", json={"action": "list"})
    assert nobody.status_code == 401


def test_user_pages_may_be_numbered_as_json_numbers_with_a_fraction_of_zero(stack: Any) -> None:
    listed = stack.call("admin-users", token=stack.admin_token(), json={"action": "list", "page": 2.0, "per_page": 1.0})
    assert listed.status_code == 200, listed.text
    assert (listed.json()["page"], listed.json()["per_page"], len(listed.json()["users"])) == (2, 1, 1)


def test_admin_token_manages_users(stack: Any) -> None:
    admin = stack.admin_token()
    viewer = stack.signup_login("promo")
    listed, page = [], 1
    while True:  # page by page, as an admin would (the instance keeps the accounts of earlier runs)
        answer = stack.call("admin-users", token=admin, json={"action": "list", "page": page, "per_page": 500})
        assert answer.status_code == 200
        listed += answer.json()["users"]
        if len(listed) >= answer.json()["total"] or not answer.json()["users"]:
            break
        page += 1
    assert viewer["username"] in {u["username"] for u in listed}
    assert all("password_hash" not in u for u in listed)

    promoted = stack.call("admin-users", token=admin, json={"action": "promote", "username": viewer["username"]})
    assert promoted.status_code == 200 and promoted.json()["user"]["role"] == "admin"
    # the viewer's live session is an admin's now, without logging in again
    assert stack.call("admin-users", token=viewer["token"], json={"action": "list"}).status_code == 200
    demoted = stack.call("admin-users", token=admin, json={"action": "demote", "username": viewer["username"]})
    assert demoted.status_code == 200
    assert stack.call("admin-users", token=viewer["token"], json={"action": "list"}).status_code == 403

    reset = stack.call("admin-users", token=admin, json={"action": "reset-password", "username": viewer["username"]})
    assert reset.status_code == 200
    assert stack.call("account", "me", method="GET", token=viewer["token"]).status_code == 401
    stack.login(viewer["username"], reset.json()["password"])

    missing = stack.call("admin-users", token=admin, json={"action": "promote"})
    assert missing.status_code == 400 and "username" in _error(missing)["message"]
    unknown = stack.call("admin-users", token=admin, json={"action": "promote", "username": "no_such_user_x"})
    assert unknown.status_code == 404
    gone = stack.call("admin-users", token=admin, json={"action": "delete", "username": viewer["username"]})
    assert gone.status_code == 200
    assert stack.call("login", json={"username": viewer["username"], "password": reset.json()["password"]},
                      headers=_as("10.201.0.1")).status_code == 401


def _invoke(stack: Any, body: dict[str, Any], key: str | None) -> Any:
    args = ["invoke", "admin-users", "--gateway", stack.gateway_url]
    if key is not None:
        args += ["--sign", "X-Hub-Signature", "--key", key]
    return stack.faas_cli(*args, input=stack.admin_task("admin-users", body))


def test_admin_task_through_faas_cli(stack: Any) -> None:
    viewer = stack.signup_login("cli")
    good = _invoke(stack, {"action": "promote", "username": viewer["username"]}, stack.secret("admin-task-key"))
    assert good.returncode == 0, good.stderr.decode()
    assert json.loads(good.stdout)["user"]["role"] == "admin"
    assert stack.call("account", "me", method="GET", token=viewer["token"]).json()["role"] == "admin"

    listed = _invoke(stack, {"action": "list", "role": "admin"}, stack.secret("admin-task-key"))
    assert listed.returncode == 0 and viewer["username"] in listed.stdout.decode()

    bad = _invoke(stack, {"action": "demote", "username": viewer["username"]}, "not-the-secret")
    assert bad.returncode != 0
    assert b"Unauthorized" in bad.stdout + bad.stderr  # faas-cli's words for the function's 401
    unsigned = _invoke(stack, {"action": "demote", "username": viewer["username"]}, None)
    assert unsigned.returncode != 0
    assert stack.call("account", "me", method="GET", token=viewer["token"]).json()["role"] == "admin"
    back = _invoke(stack, {"action": "demote", "username": viewer["username"]}, stack.secret("admin-task-key"))
    assert back.returncode == 0, back.stderr.decode()


def test_signature_checked_on_the_exact_body(stack: Any) -> None:
    body = stack.admin_task("admin-users", {"action": "list"})
    key = stack.secret("admin-task-key").encode()
    good = "sha1=" + hmac.new(key, body, hashlib.sha1).hexdigest()
    tampered = stack.call("admin-users", data=body.replace(b"list", b"lisT"), headers={"X-Hub-Signature": good})
    ok = stack.call("admin-users", data=body, headers={"X-Hub-Signature": good})
    assert ok.status_code == 200
    assert tampered.status_code == 401 and _error(tampered)["code"] == "bad_signature"


def test_signup_limit_per_address(stack: Any, address: str) -> None:
    """The hourly signup limit per address (the window is filled to one short of the limit here)."""
    from flmnchll import signup_limit

    for _ in range(signup_limit.signup_address_limit().limit - 1):
        signup_limit.check_signup_allowed(address)
    last = stack.call("signup", json={"username": f"sl_{secrets.token_hex(5)}", "password": PASSWORD},
                      headers=_as(address))
    assert last.status_code == 201
    over = stack.call("signup", json={"username": f"sl_{secrets.token_hex(5)}", "password": PASSWORD},
                      headers=_as(address))
    assert over.status_code == 429 and "Too many new accounts" in _error(over)["message"]
    assert 0 < int(over.headers["Retry-After"]) <= signup_limit.signup_address_limit().window


def test_openapi_document_served(stack: Any) -> None:
    response = stack.call("openapi", method="GET")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.1")
    for path in ("/signup", "/login", "/account/me", "/admin-users", "/list-content", "/create-room", "/stats"):
        assert path in document["paths"]
    assert stack.call("openapi", "openapi.yaml", method="GET").text.startswith("openapi: 3.1")
