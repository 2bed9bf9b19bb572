"""The API keeps the OpenAPI document's promises for any input: schemathesis against the test instance.

schemathesis reads the document the `openapi` function serves and sends generated requests, valid and not, to
every operation, three times: as a viewer, as an administrator and without credentials. Every answer must be
no server error and have a status code, content type and body the document names for that operation.

The callers and everything the generated requests may change are throw-away accounts, rooms and items made
here and removed afterwards (see fuzz_hooks.py for how the requests are steered to them). The runs are seeded
and bounded by a number of cases per operation, small here; `make fuzz` runs many more (FUZZ_EXAMPLES).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))
SEED = int(os.environ.get("FUZZ_SEED", "20261203"))
PASSWORD = "throw-away password"


def _account(stack: Any, prefix: str) -> dict[str, Any]:
    session = stack.signup_login(prefix, PASSWORD)
    return {"token": session["token"], **session["user"]}


def _item(title: str, ready: bool) -> str:
    from flmnchll.content import catalog

    item, _ = catalog.create(f"fuzz-{secrets.token_hex(8)}", {"kind": "upload", "id": f"fuzz-{secrets.token_hex(8)}"},
                             title=title, description="Made and removed by the conformance test.")
    if ready:
        catalog.save(item["_id"], {"status": "ready", "duration": 8.0, "width": 640, "height": 360})
    return str(item["_id"])


@contextlib.contextmanager
def _instance_stores(stack: Any) -> Iterator[None]:
    """The library pointed at the instance's own stores (other suites' session fixtures point it elsewhere)."""
    from flmnchll import stores

    saved = dict(os.environ)
    os.environ.update(stack.instance.environment())
    stores.reset_clients()
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
        stores.reset_clients()


@pytest.fixture(scope="module")
def throw_away(stack: Any) -> Iterator[dict[str, Any]]:
    """The callers, and the only accounts, rooms and items the generated requests can change."""
    from flmnchll import accounts
    from flmnchll.content import manage
    from flmnchll.errors import NotFound

    viewer, admin, spare = _account(stack, "stv"), _account(stack, "sta"), _account(stack, "sts")
    targets = [_account(stack, "stt") for _ in range(3)]
    with _instance_stores(stack):
        accounts.set_role(admin["username"], "admin")
        items = [_item(f"Throw-away {n}", ready=n % 2 == 0) for n in range(4)]
    rooms = {}
    for who in (viewer, admin):
        made = [stack.call("create-room", token=who["token"], json={"name": f"Throw-away {n}", "content_id": items[0]})
                for n in range(2)]
        assert all(answer.status_code == 201 for answer in made), [answer.text for answer in made]
        rooms[who["id"]] = [answer.json()["id"] for answer in made]
    yield {"viewer": viewer, "admin": admin, "spare": spare, "targets": targets, "items": items, "rooms": rooms}
    with _instance_stores(stack):
        for content_id in items:
            with contextlib.suppress(NotFound):  # deleted by a generated request already
                manage.delete(content_id)
        for account in (viewer, admin, spare, *targets):
            with contextlib.suppress(NotFound):  # deleted by a generated request already
                accounts.delete_user(account["username"])
    stack.db().rooms.delete_many({"_id": {"$in": [r for made in rooms.values() for r in made]}})


def _run(stack: Any, name: str, plan: dict[str, Any], tmp_path: Path, *extra: str) -> None:
    """One schemathesis run of every operation; fails with schemathesis' own account of what went wrong."""
    plan_file, report_file = tmp_path / f"{name}-plan.json", tmp_path / f"{name}-report.json"
    plan_file.write_text(json.dumps({"seed": SEED, **plan}))
    env = {**stack.env, "PYTHONPATH": os.pathsep.join([str(REPO), str(HERE)]), "SCHEMATHESIS_HOOKS": "fuzz_hooks",
           "FLMNCHLL_FUZZ_PLAN": str(plan_file)}
    command = [str(Path(sys.executable).with_name("schemathesis")), "--config-file", str(HERE / "schemathesis.toml"),
               "run", f"{stack.gateway_url}/function/openapi/openapi.json", "--checks", CHECKS,
               "--seed", str(SEED), "--max-examples", str(EXAMPLES), "--phases", "examples,coverage,fuzzing",
               "--workers", "1", "--generation-database", "none", "--suppress-health-check", "all",
               "--request-timeout", "30", "--no-color", "--report", "json", "--report-json-path", str(report_file),
               *extra]
    finished = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True,
                              timeout=120 + 20 * EXAMPLES)
    report = json.loads(report_file.read_text()) if report_file.exists() else {}
    cases = report.get("test_cases", {})
    print(f"schemathesis as {name}: {cases.get('generated')} cases on {report.get('operations', {}).get('tested')} "
          f"operations in {report.get('running_time', 0):.0f} s, {cases.get('unique_failures')} unique failures")
    assert finished.returncode == 0, finished.stdout[-20000:] + finished.stderr[-5000:]
    assert report["operations"]["tested"] == report["operations"]["selected"]


@pytest.mark.parametrize("role", ["viewer", "admin"])
def test_signed_in(stack: Any, throw_away: dict[str, Any], tmp_path: Path, role: str) -> None:
    caller = throw_away[role]
    plan = {"token": caller["token"], "spare": throw_away["spare"], "rooms": throw_away["rooms"][caller["id"]],
            "items": throw_away["items"], "users": [t["username"] for t in throw_away["targets"]]}
    _run(stack, role, plan, tmp_path, "--generation-with-security-parameters", "false")


def test_without_a_token(stack: Any, throw_away: dict[str, Any], tmp_path: Path) -> None:
    """Also with made-up tokens, signatures and internal secrets (schemathesis generates those)."""
    _run(stack, "anonymous", {"token": None, "spare": throw_away["spare"], "rooms": [], "items": throw_away["items"],
                              "users": []}, tmp_path)
