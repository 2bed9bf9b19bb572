"""A function process or the gateway killed (SIGKILL) while twenty viewers call: it comes back in seconds, no
call hangs past its timeout, and once it answers again every call gets an answer or a clear 429/503."""

from __future__ import annotations

import os
import signal
import time

import pytest

from ops.supervisor import processes
from tests.conftest import Stack
from tests.faults.conftest import Watching
from tests.faults.figures import report
from tests.faults.load import ACCEPTABLE, Outcome, check_outcomes, tally, wait_answering

pytestmark = pytest.mark.faults

STEADY_SECONDS = 2.0  #: load before the fault
AFTER_SECONDS = 3.0  #: load after the service answers again


def process_name(stack: Stack, program: str) -> str:
    """supervisord's `group:name` of the first process of a program (a function's replica, or a component)."""
    found = sorted((i for i in processes(stack.instance) if i["name"] == program or
                    i["name"].startswith(f"fn-{program}-")), key=lambda i: i["name"])
    assert found, f"no process of {program}"
    return f"{found[0]['group']}:{found[0]['name']}"


def kill_under_load(stack: Stack, watching: Watching, program: str, probe: tuple[str, str]) -> list[Outcome]:
    """Kill the program's first process while the clients call; returns the calls made while it was away."""
    token = watching.viewers[0]["token"]
    name = process_name(stack, program)
    with watching.clients(stack) as clients:
        time.sleep(STEADY_SECONDS)
        pid = stack.component_pid(name)
        os.kill(pid, signal.SIGKILL)
        killed = time.monotonic()
        stack.wait_until(lambda: stack.component_pid(name) not in (0, pid), timeout=30, interval=0.05)
        back = wait_answering(stack, token, *probe)
        time.sleep(AFTER_SECONDS)
    during = [o for o in clients.outcomes if killed <= o.started < back]
    report(f"{program} killed under load", answering_again_after_s=round(back - killed, 2),
           calls=len(clients.outcomes), during=tally(during), after=tally(clients.since(back)))
    check_outcomes(clients, back)
    return during


def test_function_process_killed_under_load(faults: Stack, watching: Watching) -> None:
    kill_under_load(faults, watching, "account", ("account", "me"))


def test_gateway_killed_under_load(faults: Stack, watching: Watching) -> None:
    during = kill_under_load(faults, watching, "gateway", ("list-content", "?per_page=1"))
    # While the gateway is away the front door still answers every call, with the JSON "not now".
    wrong = [o for o in during if o.status not in ACCEPTABLE]
    assert not wrong, f"while the gateway was away: {tally(during)}; e.g. {wrong[:3]}"
    assert any(o.status == 503 for o in during), tally(during)
