"""Admin authority: an admin's session, or an admin task signed with the admin-task key.

An admin task is what `faas-cli invoke NAME --sign X-Hub-Signature --key KEY` sends: a body and the hex HMAC
of it (`sha1=...` by default, `sha256=...` also taken). The body is an envelope that says where and when the
task may run, so the signature covers that too:

    {"task": {"function": "stats", "method": "POST", "path": "/", "issued_at": 1767225600, "nonce": "..."},
     "payload": {...what the handler reads...}}

A task runs once (its nonce is remembered in Redis for as long as it is valid), within `VALID_SECONDS` of
`issued_at` (and at most `CLOCK_SKEW_SECONDS` ahead of this clock), on the one function, method and path it
names. `accept` checks all of that and then hands the handler the payload alone, as if it were the body.

`python -m flmnchll.admin_tasks FUNCTION [PAYLOAD] [--method M] [--path P]` prints such a body, to pipe into
faas-cli (see README.md, "Admin tasks with faas-cli").
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import secrets
import sys
import time
from typing import Any

from flmnchll import keys
from flmnchll.auth import ADMIN_TASK, Principal, authenticate
from flmnchll.errors import Forbidden, Unauthorized
from flmnchll.stores import redis_client
from flmnchll.web import Request, parse_json

SIGNATURE_HEADER = "x-hub-signature"
VALID_SECONDS = 300
CLOCK_SKEW_SECONDS = 30
ALGORITHMS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256}
HOW_TO_BUILD = "build a new one with `python -m flmnchll.admin_tasks FUNCTION PAYLOAD` (see README.md)"


def _route(function: str, method: str, path: str) -> str:
    return f"{method.upper()} /function/{function}{'' if path == '/' else path}"


def normal_path(path: str) -> str:
    """A path as the function router sees it: one leading slash, none trailing."""
    return "/" + path.strip("/")


def build(function: str, payload: Any = None, *, method: str = "POST", path: str = "/",
          now: float | None = None, nonce: str | None = None) -> bytes:
    """The body of an admin task for `method path` of `function`, issued now."""
    task = {"function": function, "method": method.upper(), "path": normal_path(path),
            "issued_at": int(now if now is not None else time.time()), "nonce": nonce or secrets.token_urlsafe(16)}
    return json.dumps({"task": task, "payload": {} if payload is None else payload},
                      separators=(",", ":")).encode()


def signature(body: bytes, key: str, algorithm: str = "sha1") -> str:
    """The `X-Hub-Signature` value faas-cli would send for `body` (sha1 by default, as faas-cli does)."""
    return f"{algorithm}={hmac.new(key.encode(), body, ALGORITHMS[algorithm]).hexdigest()}"


def _signature_matches(request: Request) -> bool:
    algorithm, _, digest = request.headers.get(SIGNATURE_HEADER, "").partition("=")
    if algorithm.lower() not in ALGORITHMS or not digest:
        return False
    expected = hmac.new(keys.read(keys.ADMIN_TASK_KEY).encode(), request.body, ALGORITHMS[algorithm.lower()])
    return hmac.compare_digest(expected.hexdigest(), digest.strip().lower())


def _envelope(body: bytes) -> tuple[dict[str, Any], Any]:
    """(task, payload) of a well-formed envelope, else a 401 that says what a task looks like."""
    try:
        data = parse_json(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        data = None
    task = data.get("task") if isinstance(data, dict) else None
    fields = {"function": str, "method": str, "path": str, "issued_at": int, "nonce": str}
    if (not isinstance(task, dict) or "payload" not in data
            or any(not isinstance(task.get(name), kind) or isinstance(task.get(name), bool)
                   for name, kind in fields.items())
            or not task["nonce"]):
        raise Unauthorized('A signed admin task is a JSON body {"task": {"function", "method", "path", '
                           f'"issued_at", "nonce"}}, "payload": ...}}; {HOW_TO_BUILD}.', code="not_an_admin_task")
    return task, data["payload"]


def _check_route(task: dict[str, Any], request: Request) -> None:
    signed_for = _route(task["function"], task["method"], normal_path(task["path"]))
    sent_to = _route(request.function, request.method, request.path)
    if signed_for != sent_to:
        raise Unauthorized(f"This task was signed for {signed_for} but was sent to {sent_to}.",
                           code="task_wrong_route")


def _check_time(task: dict[str, Any], now: float) -> None:
    age = now - task["issued_at"]
    if age > VALID_SECONDS:
        raise Unauthorized(f"This task was issued {int(age)} s ago; a task is valid for {VALID_SECONDS} s: "
                           f"{HOW_TO_BUILD}.", code="task_expired")
    if age < -CLOCK_SKEW_SECONDS:
        raise Unauthorized(f"This task is dated {int(-age)} s in the future; check the clock of the machine "
                           "that built it.", code="task_from_the_future")


def _check_fresh(task: dict[str, Any]) -> None:
    nonce = hashlib.sha256(task["nonce"].encode()).hexdigest()
    ttl = VALID_SECONDS + CLOCK_SKEW_SECONDS + 1
    if not redis_client().set(f"admin-task:nonce:{nonce}", "1", nx=True, ex=ttl):
        raise Unauthorized(f"This task has already been run; a task runs once: {HOW_TO_BUILD}.",
                           code="task_replayed")


def accept(request: Request, *, now: float | None = None) -> None:
    """Check a signed admin task, then leave only its payload as the request body (or raise a 401)."""
    if not _signature_matches(request):
        raise Unauthorized("The X-Hub-Signature does not match this body under the admin-task key.",
                           code="bad_signature")
    task, payload = _envelope(request.body)
    _check_route(task, request)
    _check_time(task, time.time() if now is None else now)
    _check_fresh(task)
    request.replace_body(payload)


def caller(request: Request) -> Principal:
    """Who calls: the admin a signed task runs as when the call is signed, otherwise the signed-in user."""
    if request.headers.get(SIGNATURE_HEADER):
        accept(request)
        return ADMIN_TASK
    return authenticate(request)


def require_admin(request: Request) -> Principal:
    """An admin's session, or an admin task signed with the admin-task key (`faas-cli invoke --sign`)."""
    principal = caller(request)
    if not principal.is_admin:
        raise Forbidden("This needs an administrator account.", code="admin_only")
    return principal


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m flmnchll.admin_tasks",
        description="Print the body of an admin task, to sign and send with `faas-cli invoke FUNCTION "
                    "--sign X-Hub-Signature --key \"$(cat .secrets/admin-task-key)\"` within "
                    f"{VALID_SECONDS} s. Each body runs once.")
    parser.add_argument("function", help="the function it is for, e.g. admin-users")
    parser.add_argument("payload", nargs="?", default="{}", help="the JSON the function reads (default {})")
    parser.add_argument("--method", "-m", default="POST", help="the HTTP method it will be sent with (faas-cli "
                                                               "sends POST unless given --method)")
    parser.add_argument("--path", default="/", help="the path inside the function (faas-cli always calls /)")
    args = parser.parse_args(argv)
    try:
        payload = parse_json(args.payload)
    except ValueError as exc:
        parser.error(f"the payload is not valid JSON: {exc}")
    sys.stdout.write(build(args.function, payload, method=args.method, path=args.path).decode() + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
