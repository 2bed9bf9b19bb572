"""Signed admin tasks on the running stack: only the admin-task key signs them, and each runs once, in time,
on the one route it names. Each test names the row of docs/security.md it enforces.
"""

from __future__ import annotations

import base64
import secrets
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from flmnchll import admin_tasks


def _unb64(text: str, urlsafe: bool = True) -> bytes:
    padded = text + "=" * (-len(text) % 4)
    return base64.urlsafe_b64decode(padded) if urlsafe else base64.b64decode(padded)


def _signed(stack: Any, body: bytes, algorithm: str = "sha1") -> dict[str, str]:
    return {"X-Hub-Signature": admin_tasks.signature(body, stack.secret("admin-task-key"), algorithm)}


def _error(response: requests.Response) -> dict[str, str]:
    return response.json()["error"]


def _viewer_credentials(stack: Any) -> dict[str, tuple[bytes, bytes]]:
    """Every signed thing a viewer is handed, as (the signed bytes, the signature bytes) an attacker would try."""
    viewer = stack.signup_login("holder")
    content_id = secrets.token_hex(8)
    stack.db().content.insert_one({"_id": content_id, "title": f"Keys {content_id}", "description": "",
                                   "duration": 60.0, "status": "ready", "thumbnail": "thumb.jpg",
                                   "renditions": [], "subtitles": []})
    created = stack.call("create-room", token=viewer["token"], json={"name": "Keys", "content_id": content_id})
    assert created.status_code == 201, created.text
    joined = stack.call("join-room", token=viewer["token"], json={"room_id": created.json()["id"]})
    assert joined.status_code == 200, joined.text
    found = {}
    for source, answer in (("create-room", created.json()), ("join-room", joined.json())):
        token = (answer.get("peer") or {}).get("token")
        if token:
            signed, _, mac = token.partition(".")
            found[f"peer token from {source}"] = (signed.encode(), _unb64(mac))
    assert "peer token from join-room" in found
    turn = stack.call("room", "turn", method="GET", token=viewer["token"])
    assert turn.status_code == 200, turn.text
    relay = next(server for server in turn.json()["ice_servers"] if "username" in server)
    found["TURN credential"] = (relay["username"].encode(), _unb64(relay["credential"], urlsafe=False))
    listed = stack.call("list-content", f"?q=Keys {content_id}", method="GET", token=viewer["token"]).json()
    link = urlsplit(listed["items"][0]["thumbnail"])
    query = parse_qs(link.query)
    found["signed media link"] = ((query["expires"][0] + link.path).encode(), _unb64(query["md5"][0]))
    found["session token"] = (b"", viewer["token"].encode())
    return found


def test_nothing_a_viewer_receives_verifies_as_an_admin_task(stack: Any) -> None:
    """Threat model, row "Key separation": a peer token, TURN credential, media link or session never signs a task.

    The attack: send the signed part of a credential as the body and its own MAC, in hex, as X-Hub-Signature.
    """
    for kind, (signed, mac) in _viewer_credentials(stack).items():
        for algorithm in ("sha1", "sha256"):
            headers = {"X-Hub-Signature": f"{algorithm}={mac.hex()}"}
            for method in ("GET", "POST"):
                answer = stack.call("stats", method=method, data=signed, headers=headers)
                assert answer.status_code == 401, (kind, algorithm, method, answer.text[:200])
                assert _error(answer)["code"] == "bad_signature", (kind, answer.text)
            listing = stack.call("list-content", method="GET", data=signed, headers=headers)
            assert listing.status_code == 401, (kind, listing.text[:200])


@pytest.mark.parametrize("algorithm", ["sha1", "sha256"])
def test_a_task_runs_once(stack: Any, algorithm: str) -> None:
    """Threat model, row "Admin task": a captured task cannot be replayed (its nonce is remembered)."""
    body = stack.admin_task("stats")
    first = stack.call("stats", data=body, headers=_signed(stack, body, algorithm))
    assert first.status_code == 200, first.text
    assert "total_views" in first.json()  # the handler saw its own payload, not the envelope
    again = stack.call("stats", data=body, headers=_signed(stack, body, algorithm))
    assert again.status_code == 401
    assert _error(again)["code"] == "task_replayed" and "already been run" in _error(again)["message"]


def test_an_old_task_is_refused(stack: Any) -> None:
    """Threat model, row "Admin task": a task is valid for 5 minutes, with a little clock skew allowed ahead."""
    now = time.time()
    old = admin_tasks.build("stats", now=now - admin_tasks.VALID_SECONDS - 5)
    answer = stack.call("stats", data=old, headers=_signed(stack, old))
    assert answer.status_code == 401
    assert _error(answer)["code"] == "task_expired" and "valid for 300 s" in _error(answer)["message"]
    future = admin_tasks.build("stats", now=now + 600)
    answer = stack.call("stats", data=future, headers=_signed(stack, future))
    assert answer.status_code == 401 and _error(answer)["code"] == "task_from_the_future"
    skewed = admin_tasks.build("stats", now=now + 10)
    assert stack.call("stats", data=skewed, headers=_signed(stack, skewed)).status_code == 200


def test_a_task_runs_only_on_the_route_it_names(stack: Any) -> None:
    """Threat model, row "Admin task": a task signed for one function, method or path is refused elsewhere."""
    cases = [
        (admin_tasks.build("stats"), "list-content", "GET", ""),  # another function
        (admin_tasks.build("stats", method="GET"), "stats", "POST", ""),  # another method
        (admin_tasks.build("stats", method="GET", path="/metrics"), "stats", "GET", ""),  # another path
        (admin_tasks.build("health-check", method="GET"), "stats", "GET", ""),
    ]
    for body, function, method, path in cases:
        answer = stack.call(function, path, method=method, data=body, headers=_signed(stack, body))
        assert answer.status_code == 401, (function, method, answer.text)
        error = _error(answer)
        assert error["code"] == "task_wrong_route" and "was signed for" in error["message"], error
    body = admin_tasks.build("stats", method="GET", path="/metrics")
    assert stack.call("stats", "metrics", method="GET", data=body, headers=_signed(stack, body)).status_code == 200


def test_a_signed_body_must_be_a_task(stack: Any) -> None:
    """Threat model, row "Admin task": a body signed with the right key but naming no route is refused."""
    body = b'{"action": "list"}'
    answer = stack.call("admin-users", data=body, headers=_signed(stack, body))
    assert answer.status_code == 401 and _error(answer)["code"] == "not_an_admin_task"
    assert "python -m flmnchll.admin_tasks" in _error(answer)["message"]


def test_the_root_secret_signs_nothing(stack: Any) -> None:
    """Threat model, row "Key separation": the root only derives keys; it is no admin-task or service key."""
    body = stack.admin_task("stats")
    root = stack.secret("internal-api-secret")
    forged = stack.call("stats", data=body, headers={"X-Hub-Signature": admin_tasks.signature(body, root)})
    assert forged.status_code == 401 and _error(forged)["code"] == "bad_signature"
    assert stack.call("stats", "metrics", method="GET", headers={"X-Internal-Secret": root}).status_code == 401


def test_faas_cli_runs_a_task_against_a_content_route(stack: Any) -> None:
    """Threat model, row "Admin task": the README's commands work with the real faas-cli, once per body."""
    content_id = secrets.token_hex(8)
    stack.db().content.insert_one({"_id": content_id, "title": "Signed", "description": "", "duration": 1.0,
                                   "status": "ready", "thumbnail": None, "renditions": [], "subtitles": []})
    body = stack.admin_task("content", {"action": "update", "id": content_id, "description": "by task"})
    args = ("invoke", "content", "-g", stack.gateway_url, "--sign", "X-Hub-Signature",
            "--key", stack.secret("admin-task-key"))
    done = stack.faas_cli(*args, input=body)
    assert done.returncode == 0, done.stderr
    assert stack.db().content.find_one({"_id": content_id})["description"] == "by task"
    replayed = stack.faas_cli(*args, input=body)
    assert replayed.returncode != 0 and b"Unauthorized" in replayed.stdout + replayed.stderr  # faas-cli's words
    listed = stack.faas_cli("invoke", "list-content", "-g", stack.gateway_url, "--method", "GET", "--sign",
                            "X-Hub-Signature", "--key", stack.secret("admin-task-key"),
                            input=stack.admin_task("list-content", method="GET"))
    assert listed.returncode == 0, listed.stderr


def test_a_service_key_is_not_an_admin_key(stack: Any) -> None:
    """Threat model, row "Internal service": workers' key opens internal routes only."""
    body = stack.admin_task("stats")
    service = stack.secret("service-key")
    answer = stack.call("stats", data=body, headers={"X-Hub-Signature": admin_tasks.signature(body, service)})
    assert answer.status_code == 401 and _error(answer)["code"] == "bad_signature"
