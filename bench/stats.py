"""The `stats` function with a large history: 100k recorded views and 10k users (generated).

Runs against a running instance (FLMNCHLL_INSTANCE, default `bench`). The history is written straight into the
instance's stores (view records and users in MongoDB, activity in Redis, view counters rebuilt from the
records the way a recovery would), then `stats` is called through the gateway with an admin token, one call at
a time. Prints one table of latencies (target: p95 <= 50 ms).

    FLMNCHLL_INSTANCE=bench .venv/bin/python bench/stats.py [--views 100000] [--users 10000] [--calls 200]
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.percentiles import percentile
from ops.instance import Instance
from ops.supervisor import is_running

TARGET_P95_MS = 50.0
ITEMS = 300
DAYS = 30
BATCH = 2000


def generate(views_wanted: int, users_wanted: int, seed: int = 7) -> dict[str, float]:
    """Write the history into the instance's stores; returns seconds spent per step."""
    from flmnchll.stats import activity, uptime, views
    from flmnchll.stats.health import probe_all
    from flmnchll.stores import db, redis_client

    rng = random.Random(seed)
    tag = secrets.token_hex(3)
    timings: dict[str, float] = {}
    now = datetime.now(UTC)
    database = db()

    started = time.perf_counter()
    items = [f"bench-{tag}-c{i}" for i in range(ITEMS)]
    database.content.insert_many([{"_id": cid, "title": f"Bench film {i}", "status": "ready", "duration": 600.0}
                                  for i, cid in enumerate(items)])
    users = [f"bench-{tag}-u{i}" for i in range(users_wanted)]
    for start in range(0, len(users), BATCH):
        database.users.insert_many([{"_id": uid, "username": f"statsbench_{tag}_{start + i}",
                                     "username_lower": f"statsbench_{tag}_{start + i}", "role": "viewer",
                                     "password_hash": "-", "created_at": now}
                                    for i, uid in enumerate(users[start:start + BATCH])])
    timings["users + items"] = time.perf_counter() - started

    started = time.perf_counter()
    weights = [1.0 / (rank + 1) for rank in range(ITEMS)]  # a few popular items, a long tail
    seen: set[tuple[int, int, int]] = set()
    attempts = 0
    while len(seen) < views_wanted and attempts < views_wanted * 5:  # bounded: duplicates are redrawn
        attempts += 1
        seen.add((rng.randrange(users_wanted), rng.choices(range(ITEMS), weights)[0], rng.randrange(DAYS)))
    batch: list[dict] = []
    for user, item, back in seen:
        moment = now - timedelta(days=back)
        batch.append({"user_id": users[user], "content_id": items[item], "day": views.day_of(moment),
                      "seconds_played": 6.0, "at": moment})
        if len(batch) == BATCH:
            database.views.insert_many(batch, ordered=False)
            batch = []
    if batch:
        database.views.insert_many(batch, ordered=False)
    timings["view records"] = time.perf_counter() - started

    started = time.perf_counter()
    views.rebuild_counters()
    timings["counters rebuilt"] = time.perf_counter() - started

    started = time.perf_counter()
    client = redis_client()
    pipe = client.pipeline(transaction=False)
    for user, _, back in seen:
        moment = now - timedelta(days=back)
        pipe.sadd(activity.members_key(moment), users[user])
        pipe.pfadd(activity.day_key(moment), users[user])
        pipe.zadd(activity.LAST_SEEN_KEY, {users[user]: moment.timestamp()}, gt=True)
        if len(pipe) >= 3 * BATCH:
            pipe.execute()
    pipe.execute()
    timings["activity"] = time.perf_counter() - started

    started = time.perf_counter()
    uptime.record(probe_all())
    timings["one probe run"] = time.perf_counter() - started
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--views", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--no-generate", action="store_true", help="measure the history already there")
    args = parser.parse_args()
    instance = Instance.load(os.environ.get("FLMNCHLL_INSTANCE", "bench"))
    if not is_running(instance):
        print(f"instance {instance.name} is not running (python -m ops start --instance NAME)", file=sys.stderr)
        return 1
    os.environ.update(instance.environment())
    from flmnchll.config import settings

    settings.cache_clear()
    timings = {} if args.no_generate else generate(args.views, args.users)
    for step, seconds in timings.items():
        print(f"setup: {step:<18} {seconds:7.1f} s")

    from flmnchll.stats import summary

    password = (instance.secrets_dir / "admin-password").read_text().strip()
    login = requests.post(instance.url("gateway") + "/function/login",
                          json={"username": "admin", "password": password}, timeout=30)
    login.raise_for_status()
    session = requests.Session()
    session.headers["Authorization"] = "Bearer " + login.json()["token"]
    url = instance.url("gateway") + "/function/stats"
    first = session.get(url, timeout=30)
    first.raise_for_status()
    doc = first.json()

    rows = []
    for name, call in (("stats (gateway)", lambda: session.get(url, timeout=30)),
                       ("stats/metrics", lambda: session.get(url + "/metrics", timeout=30)),
                       ("build (library)", summary.build)):
        times, errors = [], 0
        wall = time.perf_counter()
        for _ in range(args.calls):  # bounded, one call at a time
            started = time.perf_counter()
            result = call()
            times.append((time.perf_counter() - started) * 1000)
            if isinstance(result, requests.Response) and result.status_code != 200:
                errors += 1
        wall = time.perf_counter() - wall
        ordered = sorted(times)
        rows.append((name, len(times), errors, statistics.median(ordered), percentile(ordered, 0.95), ordered[-1],
                     len(times) / wall))

    print(f"\nstats with {doc['total_views']} views, {doc['total_users']} users, "
          f"{len(doc['views_per_video'])} items, {len(doc['services'])} services "
          f"(dau {doc['dau']}, mau {doc['mau']}); target p95 <= {TARGET_P95_MS:.0f} ms")
    print("| call            | calls | errors | p50 ms | p95 ms | max ms |  req/s |")
    print("|-----------------|-------|--------|--------|--------|--------|--------|")
    for name, count, errors, p50, p95, worst, rate in rows:
        print(f"| {name:<15} | {count:>5} | {errors:>6} | {p50:>6.1f} | {p95:>6.1f} | {worst:>6.1f} | {rate:>6.1f} |")
    gateway_p95 = rows[0][4]
    verdict = "meets" if gateway_p95 <= TARGET_P95_MS else "MISSES"
    print(f"stats p95 {gateway_p95:.1f} ms {verdict} the {TARGET_P95_MS:.0f} ms target")
    return 0 if rows[0][2] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
