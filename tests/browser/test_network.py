"""Watching together over impaired networks (tests/browser/network.test.mjs): one short run per network profile.

Each of the four members is behind an impairment relay of its own (bench/netem.py) in front of the test stack's
coturn; the browser side forces its WebRTC through TURN and shapes its HTTP. The full 6-member tables are
bench/sync.py --network ...
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bench.netem import NETWORKS, Relays, member_profiles
from bench.sync import ensure_clip
from tests.browser.conftest import run_node_tests
from tests.browser.test_sync import HERE

NODE_TIMEOUT_S = 170

pytestmark = [pytest.mark.slow, pytest.mark.network, pytest.mark.timeout(NODE_TIMEOUT_S + 120),
              pytest.mark.usefixtures("browser_tools")]


@pytest.mark.parametrize("network", list(NETWORKS))
def test_watching_together_over_the_network(stack: Any, artifacts: Path, network: str,
                                            create_room: Callable[..., str]) -> None:
    clip = ensure_clip(stack.front_url, stack.admin_token())
    users = [stack.signup_login("net") for _ in range(4)]
    room = create_room(users[0], f"Over {network}", clip["id"])
    turn = ("127.0.0.1", stack.instance.ports["turn"])
    with Relays(member_profiles(network, 4), turn) as relays:
        env = {
            **stack.env,
            "FRONT_URL": stack.front_url,
            "ARTIFACTS_DIR": str(artifacts),
            "SYNC_ROOM": room,
            "SYNC_USERS": json.dumps([{"token": u["token"], "user": u["user"]} for u in users]),
            "SYNC_NETWORK": json.dumps(relays.plan()),
            "SYNC_NETWORK_NAME": network,
        }
        run_node_tests(HERE / "network.test.mjs", env, NODE_TIMEOUT_S, f"watching together over {network}")
        figures = relays.figures()
    print("relays:", figures)
    # all peer traffic went through the members' links
    assert all(f["up"]["packets"] > 0 and f["down"]["packets"] > 0 for f in figures), figures
