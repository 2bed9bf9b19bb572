"""A store that becomes slow (its answers 20 s late, through a proxy): calls that need it answer 503 within their
timeout, never hang, and answer normally again as soon as the store does.

A call alone answers within the store timeouts (seconds); twenty at once queue in the function's threads, and
must all still answer 503 before the gateway would give up on them (`exec_timeout`, then a 504).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests

from ops import control
from ops.instance import REPO
from tests.conftest import Stack
from tests.faults.conftest import Watching
from tests.faults.figures import report
from tests.faults.load import CALL_TIMEOUT, EXEC_TIMEOUT, Call, Clients, tally, wait_answering
from tests.faults.proxy import SlowProxy

pytestmark = pytest.mark.faults

SLOW_SECONDS = 20.0  #: later than any store timeout of the service
STORE_TIMEOUTS = 10.0  #: a call alone: the store client's own timeouts (2.5 s for Redis, 5 s for MongoDB) and some
LOAD_SECONDS = 4.0

#: store → (its port, the setting that points functions at it, a function that needs it, a path, the error code)
STORES = {
    "redis": ("redis", "REDIS_URL", "redis://127.0.0.1:{port}/0", "account", "me", "redis_unavailable"),
    "ferretdb": ("mongo", "MONGODB_URI", "mongodb://127.0.0.1:{port}/flmnchll", "list-content", "?per_page=1",
                 "database_unavailable"),
}


def deploy(stack: Stack, function: str, *settings: str) -> None:
    """Deploy one function of the stack file, with settings that differ from the instance's."""
    overrides = [part for setting in settings for part in ("--env", setting)]
    stack.faas_cli("deploy", "-f", str(REPO / "stack.yml"), "--filter", function, "-g", stack.gateway_url, *overrides,
                   check=True)
    control.wait_functions(stack.instance)


@pytest.fixture(params=list(STORES))
def slow_store(faults: Stack, request: pytest.FixtureRequest) -> Iterator[tuple[str, SlowProxy]]:
    """A store behind a proxy (as yet without delay), and the function that needs it pointed at the proxy."""
    port_name, setting, url, function, _, _ = STORES[request.param]
    with SlowProxy(faults.instance.ports[port_name]) as proxy:
        deploy(faults, function, f"{setting}={url.format(port=proxy.port)}")
        try:
            yield request.param, proxy
        finally:
            deploy(faults, function)


def test_slow_store_answers_503_in_time_and_recovers(faults: Stack, watching: Watching,
                                                     slow_store: tuple[str, SlowProxy]) -> None:
    store, proxy = slow_store
    _, _, _, function, path, code = STORES[store]
    url = f"{faults.front_url}/function/{function}/{path}"

    def caller(token: str) -> list[tuple[str, Call]]:
        headers = {"Authorization": f"Bearer {token}"}
        return [(function, lambda session: session.get(url, headers=headers, timeout=CALL_TIMEOUT))]

    headers = {"Authorization": f"Bearer {watching.viewers[0]['token']}"}
    assert requests.get(url, headers=headers, timeout=CALL_TIMEOUT).status_code == 200
    proxy.delay = SLOW_SECONDS
    started = time.monotonic()
    alone = requests.get(url, headers=headers, timeout=CALL_TIMEOUT)
    alone_seconds = time.monotonic() - started
    assert alone.status_code == 503 and alone.json()["error"]["code"] == code, alone.text
    with Clients(caller(v["token"]) for v in watching.viewers) as clients:
        time.sleep(LOAD_SECONDS)
    slowest = max(o.seconds for o in clients.outcomes)
    proxy.delay = 0.0
    healed = time.monotonic()
    back = wait_answering(faults, watching.viewers[0]["token"], function, path)
    report(f"slow {store}", first_call_s=round(alone_seconds, 2), calls=len(clients.outcomes),
           answers=tally(clients.outcomes), slowest_s=round(slowest, 2),
           answering_again_after_s=round(back - healed, 2))
    assert alone_seconds < STORE_TIMEOUTS
    assert {o.status for o in clients.outcomes} == {503}, tally(clients.outcomes)
    assert slowest < EXEC_TIMEOUT
