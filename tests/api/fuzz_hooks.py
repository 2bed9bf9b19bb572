"""schemathesis hooks for the conformance runs (loaded by its CLI through SCHEMATHESIS_HOOKS).

The run's plan (a JSON file named by FLMNCHLL_FUZZ_PLAN, written by the test) says who calls and which throw-away
things the generated requests may touch:
- every request comes from an address of its own in 198.18.0.0/15 (the benchmarking range), so the per-address
  limits on signup and login apply to generated requests one by one, as they would to distinct people;
- `token`: the caller's session, sent on every request (none for the anonymous run);
- operations that end sessions (logout, logout-all, password) use a fresh session of a spare account, so the
  caller's own token keeps working for the rest of the run;
- path ids are, half of the time, those of throw-away rooms and items the test made, and never anything else
  that exists: an id that looks real but is not throw-away is replaced, so delete, reprocess and the like only
  ever reach the test's own data;
- `admin-users` names only the test's throw-away accounts.
"""

from __future__ import annotations

import json
import os
import random
import re
from functools import cache
from pathlib import Path
from typing import Any

import schemathesis

SESSION_ENDING = {"accountLogout", "accountLogoutAll", "accountPassword"}
REAL_LOOKING = re.compile(r"[a-f0-9]{16}|[a-z0-9]{4,32}")


@cache
def plan() -> dict[str, Any]:
    return json.loads(Path(os.environ["FLMNCHLL_FUZZ_PLAN"]).read_text())


@cache
def chance() -> random.Random:
    return random.Random(plan()["seed"])


def _spare_session() -> str:
    from flmnchll.auth import Principal, issue_session

    spare = plan()["spare"]
    return issue_session(Principal(id=spare["id"], username=spare["username"], role=spare["role"]))


def _throw_away_id(operation_id: str, generated: Any) -> Any:
    pool = plan()["rooms"] if operation_id.startswith("room") else plan()["items"]
    if pool and (chance().random() < 0.5 or (isinstance(generated, str) and REAL_LOOKING.fullmatch(generated))):
        return chance().choice(pool)
    return generated


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    operation_id = case.operation.definition.raw.get("operationId", "")
    headers = case.headers if case.headers is not None else {}
    headers["X-Real-IP"] = f"198.{18 + chance().randrange(2)}.{chance().randrange(256)}.{chance().randrange(1, 255)}"
    if plan()["token"]:
        token = _spare_session() if operation_id in SESSION_ENDING else plan()["token"]
        headers["Authorization"] = f"Bearer {token}"
    case.headers = headers
    if case.path_parameters and "id" in case.path_parameters:
        case.path_parameters["id"] = _throw_away_id(operation_id, case.path_parameters["id"])
    body = case.body if isinstance(case.body, dict) else {}
    if operation_id == "adminUsers" and "username" in body and plan()["users"]:
        body["username"] = chance().choice(plan()["users"])
    if operation_id == "contentTask" and "id" in body:
        body["id"] = _throw_away_id(operation_id, body["id"])
    if operation_id == "joinRoom" and "room_id" in body:
        body["room_id"] = _throw_away_id("room", body["room_id"])
    if "content_id" in body:
        body["content_id"] = _throw_away_id("content", body["content_id"])
