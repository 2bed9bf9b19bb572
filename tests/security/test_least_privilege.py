"""Least privilege: each function is given exactly the secrets its code reads, and none holds the root.

Offline: reads stack.yml and the code each handler imports (tests/security/secret_reads.py).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml

from flmnchll import keys
from flmnchll.stats import health
from tests.security.secret_reads import REPO, secrets_read

FUNCTIONS = yaml.safe_load((REPO / "stack.yml").read_text())["functions"]


def _listed(name: str) -> set[str]:
    return set(FUNCTIONS[name].get("secrets") or [])


def _handler(name: str) -> Path:
    return REPO / FUNCTIONS[name]["handler"] / "handler.py"


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_each_function_lists_exactly_the_secrets_it_reads(name: str) -> None:
    """Threat model, row "Least privilege" (docs/security.md): a function that leaks leaks only its own keys."""
    read = secrets_read(_handler(name))
    listed = _listed(name)
    unused = listed - set(read)
    unlisted = {secret: sorted(where) for secret, where in read.items() if secret not in listed}
    assert not unused, f"{name} lists secrets its code never reads: {sorted(unused)}"
    assert not unlisted, f"{name} reads secrets stack.yml does not give it: {unlisted}"


def test_no_function_holds_the_root_or_the_gateway_password() -> None:
    """Threat model, row "Least privilege": the root derives every key, the gateway password deploys code."""
    for name in FUNCTIONS:
        assert not _listed(name) & {keys.ROOT, "basic-auth-password"}, name


def test_admin_tasks_and_service_calls_are_accepted_only_where_they_are_meant() -> None:
    """Threat model, rows "Admin task" and "Internal service": only these functions can be driven by those keys."""
    holders = {purpose: {name for name in FUNCTIONS if purpose in _listed(name)}
               for purpose in (keys.ADMIN_TASK_KEY, keys.SERVICE_KEY, keys.PEER_TOKEN_KEY)}
    assert holders[keys.ADMIN_TASK_KEY] == {"admin-users", "list-content", "content", "stats", "health-check"}
    assert holders[keys.SERVICE_KEY] == {"content", "upload-hook", "stats", "health-check"}
    assert holders[keys.PEER_TOKEN_KEY] == {"create-room", "join-room", "room"}


def test_workers_read_only_the_service_key_and_their_stores() -> None:
    """Threat model, row "Least privilege": a worker runs ffmpeg on uploaded files, so it holds the least."""
    read = secrets_read(REPO / "workers" / "__main__.py")
    for module in sorted((REPO / "workers").glob("*.py")):
        for secret, where in secrets_read(module).items():
            read.setdefault(secret, set()).update(where)
    assert set(read) == {keys.SERVICE_KEY, "redis-password", keys.MEDIA_SECRET, "s3-access-key", "s3-secret-key"}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_each_router_is_named_after_its_function(name: str) -> None:
    """Threat model, row "Admin task": a task names its function, so the router must know its own name."""
    tree = ast.parse(_handler(name).read_text())
    routers = [node.value for node in ast.walk(tree) if isinstance(node, ast.Assign)
               and isinstance(node.value, ast.Call) and getattr(node.value.func, "id", "") == "Router"]
    if not routers:
        assert "require_admin" not in _handler(name).read_text(), f"{name} takes admin tasks without a Router"
        return
    (router,) = routers
    assert [arg.value for arg in router.args if isinstance(arg, ast.Constant)] == [name]


def test_the_health_check_probes_every_function_of_the_stack() -> None:
    """Threat model, row "Least privilege": the health check lists functions itself, without the gateway password."""
    assert set(health.FUNCTIONS) == set(FUNCTIONS)
