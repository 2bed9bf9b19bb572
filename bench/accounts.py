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

    def row(self) -> str:
        lat = sorted(self.latencies) or [0.0]
        p50 = statistics.median(lat) * 1000
        p95 = lat[min(len(lat) - 1, int(len(lat) * 0.95))] * 1000
        return (f"| {self.name:<44} | {self.count:>5} | {self.errors:>4} | {self.count / self.seconds:>8.1f} "
                f"| {p50:>8.0f} | {p95:>8.0f} |")


def run(name: str, total: int, call: Callable[[int], int], expect: int) -> Result:
    """`total` calls spread over CLIENTS threads; latency per call, throughput over the whole run."""
    latencies: list[float] = []
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
            if status != expect:
                errors += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        list(pool.map(one, range(total)))
    return Result(name, total, errors, time.perf_counter() - started, latencies)


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
    signups = int(os.environ.get("BENCH_SIGNUPS", "100"))
    logins = int(os.environ.get("BENCH_LOGINS", "200"))

    def signup(i: int) -> int:
        session = _session()
        return session.post(f"{gateway}/function/signup", json={"username": f"{prefix}s{i}", "password": PASSWORD},
                            headers={"X-Real-IP": _local.address}, timeout=120).status_code

    def login_as(user_prefix: str, pool: int) -> Callable[[int], int]:
        def login(i: int) -> int:
            session = _session()
            response = session.post(f"{gateway}/function/login", timeout=120, headers={"X-Real-IP": _local.address},
                                    json={"username": f"{user_prefix}{i % pool}", "password": PASSWORD})
            return response.status_code
        return login

    results = [run(f"signup (bcrypt cost {rounds})", signups, signup, 201)]
    # signup users double as the production-cost login pool
    results.append(run(f"login (bcrypt cost {rounds}, {signups} users)", logins, login_as(f"{prefix}s", signups), 200))

    low = f"{prefix}l"
    os.environ["BCRYPT_ROUNDS"] = "4"
    from flmnchll.config import settings
    settings.cache_clear()
    for i in range(CLIENTS * 2):
        accounts.create_user(f"{low}{i}", PASSWORD)
    results.append(run("login (bcrypt cost 4 - lowered for the bench)", logins * 2,
                       login_as(low, CLIENTS * 2), 200))
    results.append(run("account/me with a token (no bcrypt)", logins * 2, me_calls(gateway, PASSWORD, f"{low}0"), 200))

    print(f"accounts via {gateway}, {CLIENTS} concurrent clients, {os.cpu_count()} CPUs")
    print("| operation                                    | calls | errs |    req/s |  p50 ms |  p95 ms |")
    print("|----------------------------------------------|-------|------|----------|---------|---------|")
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
