"""Load: concurrent viewers browsing the library, opening an item, streaming media ranges and beating in rooms.

Each viewer is a thread with its own keep-alive connection, through the front door as browsers go, against a
running instance (`FLMNCHLL_INSTANCE`, default `bench`, as scripts/bench.sh starts it); the demo clip is seeded
(uploaded and transcoded) when the instance has no ready item yet. Sessions are issued straight into the
instance's Redis: signing in is not what is measured here. The viewers are spread over the rooms (10 by default).

Two runs, side by side:
- **paced**: each viewer keeps the app's rhythm while watching: a media range (three signed ranges of a
  rendition in turn, as the player's segment requests) every `SEGMENT_SECONDS`, a room heartbeat every
  `HEARTBEAT_SECONDS` (the room session's), and the library and the item page every `BROWSE_SECONDS`
  (browsing far more often than people do). Each viewer starts at a random phase. This is the target's run.
- **no pause**: the same requests back to back, every viewer as fast as the service answers: the capacity
  (throughput at saturation), where latency is only concurrency divided by throughput.

Prints, for each run and kind of request: count, errors, throughput, p50/p95/p99 latency; then the functions'
p95 (library, item page, heartbeat) of the paced run against the 100 ms target.

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

from bench.percentiles import percentile
from ops.instance import Instance

TARGET_P95_MS = 100.0
RANGE_BYTES = 256 * 1024
SEGMENT_SECONDS = 2.0  #: a segment's worth of playback between the player's media requests
HEARTBEAT_SECONDS = 5.0  #: the room session's heartbeat
BROWSE_SECONDS = 10.0  #: library and item page again
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


def prepare(instance: Instance, viewers: int, rooms: int) -> tuple[str, list[str], list[str]]:
    """A ready item, viewers' sessions, and rooms (each viewer joined to one)."""
    front = instance.url("front")
    content_id = str(ready_item(instance)["_id"])
    tokens = sessions(viewers)
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
    return content_id, tokens, room_ids


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class Viewer:
    """One viewer's requests, each timed into its kind."""

    def __init__(self, front: str, content_id: str, token: str, room: str, kinds: dict[str, Kind],
                 seed: int) -> None:
        self.front, self.content_id, self.room, self.kinds = front, content_id, room, kinds
        self.session, self.headers = requests.Session(), auth(token)
        self.chance = random.Random(seed)
        self.renditions: list[dict] = []
        self.position = 0.0

    def browse(self) -> None:
        """The library, then the item's page (which names the media to fetch)."""
        timed(self.kinds["library"], lambda: self.session.get(
            f"{self.front}/function/list-content", headers=self.headers, timeout=30), 200)
        item = timed(self.kinds["item page"], lambda: self.session.get(
            f"{self.front}/function/list-content/{self.content_id}", headers=self.headers, timeout=30), 200)
        if item is not None and item.status_code == 200:
            self.renditions = item.json()["renditions"]

    def media_range(self) -> None:
        if not self.renditions:
            return
        rendition = self.chance.choice(self.renditions)
        size = int(rendition.get("size") or RANGE_BYTES)
        url = rendition["url"] if rendition["url"].startswith("http") else self.front + rendition["url"]
        first = self.chance.randrange(max(1, size - RANGE_BYTES))
        span = {"Range": f"bytes={first}-{min(size, first + RANGE_BYTES) - 1}"}
        timed(self.kinds["media range"], lambda: self.session.get(url, headers=span, timeout=30), 206)

    def heartbeat(self) -> None:
        self.position += 1.0
        timed(self.kinds["heartbeat"], lambda: self.session.post(
            f"{self.front}/function/room/{self.room}/heartbeat", headers=self.headers, timeout=30,
            json={"position": self.position, "playing": True}), 200)

    def flat_out(self, deadline: float) -> None:
        """Back to back: browse, three media ranges, a heartbeat; again."""
        while time.monotonic() < deadline:
            self.browse()
            for _ in range(3):
                self.media_range()
            self.heartbeat()

    def paced(self, deadline: float) -> None:
        """The app's rhythm, from a random phase: each step is due again its period after it was due."""
        steps: list[tuple[float, Callable[[], None]]] = [
            (BROWSE_SECONDS, self.browse), (SEGMENT_SECONDS, self.media_range), (HEARTBEAT_SECONDS, self.heartbeat)]
        now = time.monotonic()
        due = [now + self.chance.uniform(0, period) for period, _ in steps]  # media waits for the first browse
        while True:
            index = min(range(len(steps)), key=due.__getitem__)
            if due[index] >= deadline:
                return
            time.sleep(max(0.0, due[index] - time.monotonic()))
            steps[index][1]()
            due[index] += steps[index][0]


def run(instance: Instance, prepared: tuple[str, list[str], list[str]], seconds: float,
        paced: bool) -> dict[str, Kind]:
    content_id, tokens, room_ids = prepared
    kinds = {name: Kind(name) for name in ("library", "item page", "media range", "heartbeat")}
    viewers = [Viewer(instance.url("front"), content_id, token, room_ids[index % len(room_ids)], kinds, index)
               for index, token in enumerate(tokens)]
    start = threading.Barrier(len(viewers))

    def go(viewer: Viewer) -> None:
        start.wait()
        deadline = time.monotonic() + seconds
        if paced:
            viewer.paced(deadline)
        else:
            viewer.browse()
            viewer.flat_out(deadline)

    threads = [threading.Thread(target=go, args=(viewer,)) for viewer in viewers]
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
    prepared = prepare(instance, args.viewers, args.rooms)
    runs = {"paced": run(instance, prepared, args.seconds, paced=True),
            "no pause": run(instance, prepared, args.seconds, paced=False)}
    print(f"load: {args.viewers} viewers in {args.rooms} rooms for {args.seconds:g} s per run, via the front door "
          f"{instance.url('front')} ({os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}); latency in ms")
    print(f"paced: media every {SEGMENT_SECONDS:g} s, heartbeat every {HEARTBEAT_SECONDS:g} s, library and item "
          f"page every {BROWSE_SECONDS:g} s; no pause: back to back (capacity)")
    print("| run      | request     |   count | errors |   req/s |     p50 |     p95 |     p99 |")
    print("|----------|-------------|---------|--------|---------|---------|---------|---------|")
    for name, kinds in runs.items():
        for kind in kinds.values():
            print(f"| {name:<8} " + kind.row(args.seconds))
    verdict = True
    for name, kinds in runs.items():
        functions = sorted(t for kind in FUNCTION_KINDS for t in kinds[kind].times_ms) or [0.0]
        errors = sum(kind.errors for kind in kinds.values())
        rate = len(functions) / args.seconds
        p95 = percentile(functions, 0.95)
        target = f" (target <= {TARGET_P95_MS:.0f} ms)" if name == "paced" else ""
        print(f"{name}: functions {rate:.0f} req/s, p95 {p95:.1f} ms{target}; errors {errors} (target 0)")
        verdict = verdict and errors == 0 and (name != "paced" or p95 <= TARGET_P95_MS)
    per_viewer = 2 / BROWSE_SECONDS + 1 / HEARTBEAT_SECONDS  # function calls per second of one paced viewer
    capacity = sum(len(runs["no pause"][kind].times_ms) for kind in FUNCTION_KINDS) / args.seconds
    print(f"capacity: {capacity:.0f} function calls/s at saturation = about {capacity / per_viewer:.0f} viewers "
          f"at the paced rhythm ({per_viewer:.1f} calls/s each)")
    return 0 if verdict else 1


if __name__ == "__main__":
    raise SystemExit(main())
