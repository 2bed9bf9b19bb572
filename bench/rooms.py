"""Room calls under a watch-party load: 20 rooms x 5 members joining and sending heartbeats all at once.

Runs against a running instance (FLMNCHLL_INSTANCE, default `bench`), through the gateway as browsers do via
the front door. Sessions are issued straight into the instance's Redis: sign-up and login are not what is
measured here. Prints one table row per call: count, errors, p50/p95/max latency and throughput.

    FLMNCHLL_INSTANCE=bench .venv/bin/python bench/rooms.py [--rooms 20] [--members 5] [--beats 10]
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ops import control
from ops.instance import Instance


@dataclass
class Samples:
    name: str
    times_ms: list[float] = field(default_factory=list)
    errors: int = 0
    wall_s: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, elapsed_ms: float, ok: bool) -> None:
        with self.lock:
            self.times_ms.append(elapsed_ms)
            if not ok:
                self.errors += 1

    def row(self) -> str:
        ordered = sorted(self.times_ms)
        p50 = statistics.median(ordered)
        p95 = ordered[min(len(ordered) - 1, int(round(0.95 * len(ordered))) - 1)]
        rate = len(ordered) / self.wall_s if self.wall_s else 0.0
        return (f"| {self.name:<12} | {len(ordered):>5} | {self.errors:>6} | {p50:>8.1f} | {p95:>8.1f} | "
                f"{ordered[-1]:>8.1f} | {rate:>7.1f} |")


def issue_sessions(instance: Instance, count: int) -> list[tuple[str, str]]:
    """(user id, token) pairs made with the library's own session code against the instance's Redis."""
    os.environ.update(instance.environment())
    from flmnchll.auth import Principal, issue_session
    from flmnchll.config import settings

    settings.cache_clear()
    users = []
    for index in range(count):
        principal = Principal(id="bench" + secrets.token_hex(10), username=f"bench{index}", role="viewer")
        users.append((principal.id, issue_session(principal)))
    return users


def ensure_functions(instance: Instance) -> None:
    """Deploy the room functions when the instance does not have them yet."""
    answer = requests.post(instance.url("gateway") + "/function/clock", timeout=10)
    if answer.status_code != 200:
        control.deploy(instance)
        control.wait_functions(instance)


def timed(samples: Samples, call: Callable[[], requests.Response]) -> requests.Response | None:
    start = time.perf_counter()
    try:
        answer = call()
        ok = answer.status_code < 400
    except requests.RequestException:
        answer, ok = None, False
    samples.add((time.perf_counter() - start) * 1000, ok)
    return answer


def run(instance: Instance, rooms: int, members: int, beats: int, rounds: int, interval: float) -> list[Samples]:
    base = instance.url("gateway") + "/function"
    users = issue_sessions(instance, rooms * members)
    local = threading.local()

    def session() -> requests.Session:
        if not hasattr(local, "session"):
            local.session = requests.Session()
        return local.session

    def post(path: str, token: str, body: dict) -> requests.Response:
        return session().post(f"{base}/{path}", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=30)

    create = Samples("create")
    room_ids: list[str] = []
    for index in range(rooms):
        answer = timed(create, lambda i=index: post("create-room", users[i * members][1], {"name": f"Bench {i}"}))
        if answer is None or answer.status_code != 201:
            raise SystemExit(f"create-room failed: {answer.text if answer is not None else 'no answer'}")
        room_ids.append(answer.json()["id"])
    create.wall_s = sum(create.times_ms) / 1000

    placement = [(room_ids[i // members], users[i][1]) for i in range(rooms * members)]
    join = Samples("join-room")
    beat = Samples(f"heartbeat/{interval:g}s" if interval else "heartbeat")
    with ThreadPoolExecutor(max_workers=rooms * members) as pool:
        started = time.perf_counter()
        for _ in range(rounds):
            list(pool.map(lambda p: timed(join, lambda: post("join-room", p[1], {"room_id": p[0]})), placement))
        join.wall_s = time.perf_counter() - started

        def beating(p: tuple[str, str]) -> None:
            next_at = time.perf_counter() + random.uniform(0, interval)
            for step in range(beats):
                time.sleep(max(0.0, next_at - time.perf_counter()))
                next_at += interval
                body = {"position": float(step), "playing": True}
                timed(beat, lambda b=body: post(f"room/{p[0]}/heartbeat", p[1], b))

        started = time.perf_counter()
        list(pool.map(beating, placement))
        beat.wall_s = time.perf_counter() - started
    return [create, join, beat]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rooms", type=int, default=20)
    parser.add_argument("--members", type=int, default=5)
    parser.add_argument("--beats", type=int, default=10, help="heartbeats per member")
    parser.add_argument("--rounds", type=int, default=3, help="joins per member (re-joins refresh the token)")
    parser.add_argument("--interval", type=float, nargs="*", default=[1.0, 0.0],
                        help="seconds between a member's heartbeats (0: back to back); one run per value")
    args = parser.parse_args()
    instance = Instance.load(os.environ.get("FLMNCHLL_INSTANCE", "bench"))
    ensure_functions(instance)
    results: list[Samples] = []
    for index, interval in enumerate(args.interval):
        ran = run(instance, args.rooms, args.members, args.beats, args.rounds if index == 0 else 1, interval)
        results.extend(ran if index == 0 else ran[2:])
    print(f"rooms: {args.rooms} rooms x {args.members} members, all concurrent (joins all at once, then "
          f"{args.beats} heartbeats each); latency in ms (gateway {instance.url('gateway')}, {os.cpu_count()} CPUs)")
    print("| call         |     n | errors |      p50 |      p95 |      max |   req/s |")
    print("|--------------|-------|--------|----------|----------|----------|---------|")
    for samples in results:
        print(samples.row())


if __name__ == "__main__":
    main()
