"""Redis or FerretDB killed (SIGKILL) and restarted while twenty viewers call: calls get 503 while it is down and
nothing hangs; afterwards every session, account, view counter and room is as it was (Redis appends every
write to its AOF file; FerretDB keeps its data in SQLite files)."""

from __future__ import annotations

import os
import signal
import time
from typing import Any

import pytest

from tests.conftest import Stack
from tests.faults.conftest import Watching
from tests.faults.figures import report
from tests.faults.load import ACCEPTABLE, check_outcomes, tally, wait_answering

pytestmark = pytest.mark.faults

VIEWS = 3  #: viewers who watch the item alone before the fault, each earning it a view


def views(stack: Stack, admin: str, content_id: str) -> tuple[int, int]:
    """The view counters the statistics page shows: all views, and the item's."""
    response = stack.call("stats", method="GET", token=admin)
    assert response.status_code == 200, response.text
    shown = response.json()
    per_item = {entry["content_id"]: entry["views"] for entry in shown["views_per_video"]}
    return shown["total_views"], per_item.get(content_id, 0)


def room_state(stack: Stack, token: str, room_id: str) -> dict[str, Any]:
    response = stack.call("room", room_id, method="GET", token=token)
    assert response.status_code == 200, response.text
    room = response.json()
    return {"name": room["name"], "host": room["host_id"], "content": room["content_id"],
            "members": sorted(m["user_id"] for m in room["members"]), "playback": room["playback"]["state"]}


def everything(stack: Stack, watching: Watching, admin: str, content_id: str) -> dict[str, Any]:
    hosts = {room: next(v["token"] for v in watching.viewers if watching.rooms[v["user"]["id"]] == room)
             for room in set(watching.rooms.values())}
    return {"views": views(stack, admin, content_id),
            "rooms": {room: room_state(stack, token, room) for room, token in hosts.items()}}


@pytest.mark.parametrize("program", ["redis", "ferretdb"])
def test_store_killed_under_load_loses_nothing(faults: Stack, watching: Watching, ready_item: str,
                                               admin_token: str, program: str) -> None:
    for viewer in watching.viewers[:VIEWS]:
        watched = faults.call("content", f"{ready_item}/progress", token=viewer["token"],
                              json={"position": 3.5, "duration": 4.0, "playing_seconds": 6})
        assert watched.status_code == 200, watched.text
    watching.join(faults)
    before = everything(faults, watching, admin_token, ready_item)
    assert before["views"][1] >= VIEWS

    with watching.clients(faults) as clients:
        time.sleep(2)
        pid = faults.component_pid(program)
        os.kill(pid, signal.SIGKILL)
        killed = time.monotonic()
        faults.wait_until(lambda: faults.component_pid(program) not in (0, pid), timeout=30, interval=0.05)
        back = wait_answering(faults, watching.viewers[0]["token"], "list-content", "?per_page=1")
        time.sleep(3)
    report(f"{program} killed under load", answering_again_after_s=round(back - killed, 2),
           calls=len(clients.outcomes), during=tally(o for o in clients.outcomes if killed <= o.started < back),
           after=tally(clients.since(back)))
    check_outcomes(clients, back)
    wrong = [o for o in clients.outcomes if o.status not in ACCEPTABLE]
    assert not wrong, f"while {program} was down: {tally(clients.outcomes)}; e.g. {wrong[:3]}"

    for viewer in watching.viewers:
        me = faults.call("account", "me", method="GET", token=viewer["token"])
        assert me.status_code == 200 and me.json()["username"] == viewer["username"], me.text
    for viewer in watching.viewers[:2]:
        assert faults.login(viewer["username"], viewer["password"], address="198.18.0.1")["token"]
    assert everything(faults, watching, admin_token, ready_item) == before
