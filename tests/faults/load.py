"""Viewers using the service while something breaks: many clients, each calling in a loop, every answer kept.

Each client has its own keep-alive connection through the front door, as a browser does, and calls the
endpoints a watching viewer keeps calling: who am I, the library, and the room heartbeat.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import requests

from tests.conftest import Stack

#: the functions' exec_timeout (stack.yml): whatever breaks, a call gets its answer before, or the gateway's 504
EXEC_TIMEOUT = 30.0
#: how long a client waits: a little past the gateway's limit, to see a hung call as such
CALL_TIMEOUT = EXEC_TIMEOUT + 5
#: what a client may get while a part of the service is down or restarting: an answer or a clear "not now"
ACCEPTABLE = frozenset({200, 429, 503})
TIMED_OUT = "timed out"

Call = Callable[[requests.Session], requests.Response]


@dataclass(frozen=True)
class Outcome:
    what: str
    started: float  #: monotonic seconds
    seconds: float
    status: int  #: 0 when no HTTP answer came (connection refused or reset, or timed out)
    error: str = ""


def viewer_calls(stack: Stack, token: str, room_id: str) -> list[tuple[str, Call]]:
    base = f"{stack.front_url}/function"
    headers = {"Authorization": f"Bearer {token}"}

    def me(session: requests.Session) -> requests.Response:
        return session.get(f"{base}/account/me", headers=headers, timeout=CALL_TIMEOUT)

    def library(session: requests.Session) -> requests.Response:
        return session.get(f"{base}/list-content/?per_page=5", headers=headers, timeout=CALL_TIMEOUT)

    def heartbeat(session: requests.Session) -> requests.Response:
        return session.post(f"{base}/room/{room_id}/heartbeat", json={"position": 1.0, "playing": False},
                            headers=headers, timeout=CALL_TIMEOUT)

    return [("account/me", me), ("list-content", library), ("room heartbeat", heartbeat)]


class Clients:
    """Clients calling in a loop (one thread and connection each) until the block ends; `outcomes` holds every call."""

    def __init__(self, clients: Iterable[list[tuple[str, Call]]], pause: float = 0.1) -> None:
        self.clients = list(clients)
        self.pause = pause
        self.outcomes: list[Outcome] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(calls,), daemon=True) for calls in self.clients]

    def __enter__(self) -> Clients:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=CALL_TIMEOUT + 5)

    def _run(self, calls: list[tuple[str, Call]]) -> None:
        session = requests.Session()
        for what, call in itertools.cycle(calls):
            if self._stop.is_set():
                break
            started = time.monotonic()
            try:
                status, error = call(session).status_code, ""
            except requests.Timeout:
                status, error = 0, TIMED_OUT
            except requests.RequestException as exc:
                status, error = 0, type(exc).__name__
                session = requests.Session()  # the connection broke: the next call opens a new one
            self.outcomes.append(Outcome(what, started, time.monotonic() - started, status, error))
            self._stop.wait(self.pause)

    def since(self, moment: float) -> list[Outcome]:
        return [o for o in self.outcomes if o.started >= moment]


def tally(outcomes: Iterable[Outcome]) -> dict[str, int]:
    """Answers by status (and failures without an answer by kind), for messages and the printed figures."""
    return dict(Counter(str(o.status) if o.status else o.error for o in outcomes))


def wait_answering(stack: Stack, token: str, function: str, path: str, timeout: float = 60.0) -> float:
    """Call until the function answers 200 again; returns when it did (monotonic seconds)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            answer = stack.call(function, path, method="GET", token=token, via_front=True, timeout=CALL_TIMEOUT)
            if answer.status_code == 200:
                return time.monotonic()
        except requests.RequestException:
            pass
        assert time.monotonic() < deadline, f"{function} did not answer 200 within {timeout:.0f}s"
        time.sleep(0.1)


def check_outcomes(clients: Clients, back: float) -> None:
    """The promise under every fault: no call hangs past its timeout, and once the service answers again, every
    call gets an answer or a clear "not now"."""
    hung = [o for o in clients.outcomes if o.error == TIMED_OUT or o.status == 504 or o.seconds > EXEC_TIMEOUT]
    assert not hung, f"{len(hung)} calls hung: {hung[:3]}"
    after = clients.since(back)
    assert after, "no call was made after the service came back"
    wrong = [o for o in after if o.status not in ACCEPTABLE]
    assert not wrong, f"after recovery: {tally(after)}; e.g. {wrong[:3]}"
    assert any(o.status == 200 for o in after), tally(after)
