"""Accounts benchmark: login latency and throughput with 50 concurrent clients, and signup throughput.

Runs against a running instance (`FLMNCHLL_INSTANCE`, default `bench`, as scripts/bench.sh starts it) through its
gateway, so every figure includes the gateway hop, the function process, Redis and FerretDB.

bcrypt dominates: a login is one bcrypt check at the cost the stored hash was made with. The table shows both
the production cost (the instance's BCRYPT_ROUNDS, 12 unless overridden) and a lowered cost of 4, whose users
the bench creates straight through the library so the platform's own overhead is visible too.
Each client poses as its own address (X-Real-IP), as distinct people would; the per-address limits would
otherwise (rightly) stop one address making hundreds of accounts.
"""

from __future__ import annotations

import os
import secrets
import statistics
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ops.instance import Instance

CLIENTS = int(os.environ.get("BENCH_CLIENTS", "50"))
PASSWORD = "bench password 1"
_local = threading.local()


def _session() -> requests.Session:
    if not hasattr(_local, "session"):
        _local.session = requests.Session()
        _local.address = f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"
    return _local.session


@dataclass
class Result:
    name: str
    count: int
    errors: int
    seconds: float
    latencies: list[float]
    statuses: Counter[int]
    expect: int

    def row(self) -> str:
        lat = sorted(self.latencies) or [0.0]
        p50 = statistics.median(lat) * 1000
        p95 = lat[min(len(lat) - 1, int(len(lat) * 0.95))] * 1000
        odd = ", ".join(f"{code or 'no answer'}: {n}" for code, n in sorted(self.statuses.items())
                        if code != self.expect)
        return (f"| {self.name:<46} | {self.count:>5} | {self.errors:>4} | {self.count / self.seconds:>7.1f} "
                f"| {p50:>7.0f} | {p95:>7.0f} |" + (f" {odd}" if odd else ""))


def run(name: str, total: int, call: Callable[[int], int], expect: int) -> Result:
    """`total` calls spread over CLIENTS threads; latency per call, throughput over the whole run."""
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    errors = 0
    lock = threading.Lock()

    def one(i: int) -> None:
        nonlocal errors
        started = time.perf_counter()
        try:
            status = call(i)
        except requests.RequestException:
            status = 0
        elapsed = time.perf_counter() - started
        with lock:
            latencies.append(elapsed)
            statuses[status] += 1
            if status != expect:
                errors += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        list(pool.map(one, range(total)))
    return Result(name, total, errors, time.perf_counter() - started, latencies, statuses, expect)


def main() -> int:
    instance = Instance.load(os.environ.get("FLMNCHLL_INSTANCE", "bench"))
    os.environ.update(instance.environment())
    gateway = instance.url("gateway")
    rounds = int(instance.environment().get("BCRYPT_ROUNDS", "12"))
    try:
        requests.get(f"{gateway}/healthz", timeout=5)
    except requests.RequestException:
        print(f"no instance answers at {gateway}; start one first (make bench does)", file=sys.stderr)
        return 1

    from flmnchll import accounts  # after the environment points at the instance

    prefix = f"b{secrets.token_hex(3)}"
    signups = int(os.environ.get("BENCH_SIGNUPS", "50"))
    logins = int(os.environ.get("BENCH_LOGINS", "100"))

    created: list[str] = []

    def signup(i: int) -> int:
        session = _session()
        name = f"{prefix}s{i}"
        status = session.post(f"{gateway}/function/signup", json={"username": name, "password": PASSWORD},
                              headers={"X-Real-IP": _local.address}, timeout=90).status_code
        if status == 201:
            created.append(name)
        return status

    def login_as(names: list[str]) -> Callable[[int], int]:
        def login(i: int) -> int:
            session = _session()
            response = session.post(f"{gateway}/function/login", timeout=90, headers={"X-Real-IP": _local.address},
                                    json={"username": names[i % len(names)], "password": PASSWORD})
            return response.status_code
        return login

    results = [run(f"signup (bcrypt cost {rounds})", signups, signup, 201)]
    if created:  # the new accounts double as the production-cost login pool
        results.append(run(f"login (bcrypt cost {rounds}, {len(created)} users)", logins, login_as(created), 200))

    os.environ["BCRYPT_ROUNDS"] = "4"
    from flmnchll.config import settings
    settings.cache_clear()
    low = [accounts.create_user(f"{prefix}l{i}", PASSWORD).username for i in range(CLIENTS * 2)]
    results.append(run("login (bcrypt cost 4: lowered for the bench)", logins * 4, login_as(low), 200))
    results.append(run("account/me with a token (no bcrypt)", logins * 4, me_calls(gateway, PASSWORD, low[0]), 200))

    load = os.getloadavg()[0]
    print(f"accounts via {gateway}: {CLIENTS} concurrent clients, {os.cpu_count()} CPUs, load average {load:.1f}")
    print("| operation                                      | calls | errs |   req/s |  p50 ms |  p95 ms |")
    print("|------------------------------------------------|-------|------|---------|---------|---------|")
    for result in results:
        print(result.row())
    return 0 if all(r.errors == 0 for r in results) else 1


def me_calls(gateway: str, password: str, username: str) -> Callable[[int], int]:
    token = requests.post(f"{gateway}/function/login", json={"username": username, "password": password},
                          headers={"X-Real-IP": "10.250.0.1"}, timeout=60).json()["token"]

    def me(i: int) -> int:
        return _session().get(f"{gateway}/function/account/me", headers={"Authorization": f"Bearer {token}"},
                              timeout=60).status_code
    return me


if __name__ == "__main__":
    raise SystemExit(main())
