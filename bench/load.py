"""Load: concurrent viewers browsing the library, opening an item, streaming media ranges and beating in rooms.

Each viewer is a thread with its own keep-alive connection that, for a bounded time and without pause, opens
the library, opens the item's page, fetches three media ranges of a rendition (signed links, as the player
does) and sends its room a heartbeat. The viewers are spread over the rooms (10 by default). Everything goes
through the front door, as browsers do, against a running instance (`FLMNCHLL_INSTANCE`, default `bench`, as
scripts/bench.sh starts it); the demo clip is seeded (uploaded and transcoded) when the instance has no ready
item yet. Sessions are issued straight into the instance's Redis: signing in is not what is measured here.

Prints, for each kind of request: count, errors, throughput, p50/p95/p99 latency; then the functions' p95
(library, item page, heartbeat) against the 100 ms target.

    FLMNCHLL_INSTANCE=bench .venv/bin/python bench/load.py [--viewers 50] [--rooms 10] [--seconds 20]
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ops.instance import Instance

TARGET_P95_MS = 100.0
RANGE_BYTES = 256 * 1024
FUNCTION_KINDS = ("library", "item page", "heartbeat")


@dataclass
class Kind:
    """The latencies and failures of one kind of request."""

    name: str
    times_ms: list[float] = field(default_factory=list)
    errors: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, elapsed_ms: float, ok: bool) -> None:
        with self.lock:
            self.times_ms.append(elapsed_ms)
            self.errors += 0 if ok else 1

    def row(self, seconds: float) -> str:
        ordered = sorted(self.times_ms) or [0.0]
        rate = len(self.times_ms) / seconds
        return (f"| {self.name:<11} | {len(self.times_ms):>7} | {self.errors:>6} | {rate:>7.1f} "
                f"| {percentile(ordered, 0.50):>7.1f} | {percentile(ordered, 0.95):>7.1f} "
                f"| {percentile(ordered, 0.99):>7.1f} |")


def percentile(ordered: list[float], fraction: float) -> float:
    return ordered[min(len(ordered) - 1, max(0, int(round(fraction * len(ordered))) - 1))]


def ready_item(instance: Instance) -> dict:
    """A ready item with renditions, seeding the demo clip when there is none."""
    from flmnchll.content import catalog, demo

    front = instance.url("front")
    found = catalog.collection().find_one({"status": "ready", "renditions.0": {"$exists": True}})
    if found is None:
        print("seeding the demo clip (upload and transcode) ...", file=sys.stderr)
        demo.seed(front, wait=300)
        found = catalog.collection().find_one({"status": "ready", "renditions.0": {"$exists": True}})
    if found is None:
        raise SystemExit("no ready item with renditions, and the demo clip did not become ready")
    return found


def sessions(count: int) -> list[str]:
    """Viewers' tokens, made with the library's own session code against the instance's Redis."""
    from flmnchll.auth import Principal, issue_session

    return [issue_session(Principal(id="load" + secrets.token_hex(10), username=f"load{n}", role="viewer"))
            for n in range(count)]


def timed(kind: Kind, call: Callable[[], requests.Response], expect: int) -> requests.Response | None:
    started = time.perf_counter()
    try:
        answer = call()
        ok = answer.status_code == expect
    except requests.RequestException:
        answer, ok = None, False
    kind.add((time.perf_counter() - started) * 1000, ok)
    return answer


def run(instance: Instance, viewers: int, rooms: int, seconds: float) -> dict[str, Kind]:
    front = instance.url("front")
    content_id = str(ready_item(instance)["_id"])
    tokens = sessions(viewers)
    kinds = {name: Kind(name) for name in ("library", "item page", "media range", "heartbeat")}

    def auth(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    room_ids = []
    for index in range(rooms):
        made = requests.post(f"{front}/function/create-room", headers=auth(tokens[index]), timeout=30,
                             json={"name": f"Load {index}", "content_id": content_id})
        if made.status_code != 201:
            raise SystemExit(f"create-room failed: {made.status_code} {made.text}")
        room_ids.append(made.json()["id"])
    for index, token in enumerate(tokens):
        joined = requests.post(f"{front}/function/join-room", headers=auth(token), timeout=30,
                               json={"room_id": room_ids[index % rooms]})
        if joined.status_code != 200:
            raise SystemExit(f"join-room failed: {joined.status_code} {joined.text}")

    deadline = time.monotonic() + seconds
    start = threading.Barrier(viewers)

    def viewer(index: int) -> None:
        session, headers = requests.Session(), auth(tokens[index])
        room, chance = room_ids[index % rooms], random.Random(index)
        start.wait()
        position = 0.0
        while time.monotonic() < deadline:
            timed(kinds["library"], lambda: session.get(f"{front}/function/list-content", headers=headers,
                                                        timeout=30), 200)
            item = timed(kinds["item page"], lambda: session.get(f"{front}/function/list-content/{content_id}",
                                                                 headers=headers, timeout=30), 200)
            renditions = item.json()["renditions"] if item is not None and item.status_code == 200 else []
            if renditions:
                rendition = chance.choice(renditions)
                size = int(rendition.get("size") or RANGE_BYTES)
                url = rendition["url"] if rendition["url"].startswith("http") else front + rendition["url"]
                for _ in range(3):
                    first = chance.randrange(max(1, size - RANGE_BYTES))
                    span = {"Range": f"bytes={first}-{min(size, first + RANGE_BYTES) - 1}"}
                    timed(kinds["media range"], lambda u=url, s=span: session.get(u, headers=s, timeout=30), 206)
            position += 1.0
            timed(kinds["heartbeat"], lambda p=position: session.post(
                f"{front}/function/room/{room}/heartbeat", headers=headers, timeout=30,
                json={"position": p, "playing": True}), 200)

    threads = [threading.Thread(target=viewer, args=(index,)) for index in range(viewers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return kinds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--viewers", type=int, default=int(os.environ.get("BENCH_VIEWERS", "50")))
    parser.add_argument("--rooms", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("BENCH_SECONDS", "20")))
    args = parser.parse_args()
    instance = Instance.load(os.environ.get("FLMNCHLL_INSTANCE", "bench"))
    os.environ.update(instance.environment())
    try:
        requests.get(f"{instance.url('gateway')}/healthz", timeout=5)
    except requests.RequestException:
        print(f"no instance answers at {instance.url('gateway')}; start one first (make bench does)", file=sys.stderr)
        return 1
    kinds = run(instance, args.viewers, args.rooms, args.seconds)
    print(f"load: {args.viewers} viewers in {args.rooms} rooms for {args.seconds:g} s, no pauses, via the front door "
          f"{instance.url('front')} ({os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}); latency in ms")
    print("| request     |   count | errors |   req/s |     p50 |     p95 |     p99 |")
    print("|-------------|---------|--------|---------|---------|---------|---------|")
    for kind in kinds.values():
        print(kind.row(args.seconds))
    functions = sorted(t for name in FUNCTION_KINDS for t in kinds[name].times_ms) or [0.0]
    errors = sum(kind.errors for kind in kinds.values())
    p95 = percentile(functions, 0.95)
    print(f"functions p95 {p95:.1f} ms (target <= {TARGET_P95_MS:.0f} ms); errors {errors} (target 0)")
    return 0 if errors == 0 and p95 <= TARGET_P95_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
