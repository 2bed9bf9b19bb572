"""Gateway overhead: `hello` through the gateway versus called directly on its process port.

Starts a throw-away FaaS instance on loopback, deploys `hello` with one replica and prints median and p99
latency (sequential keep-alive requests) and requests/s (concurrent keep-alive clients in separate
processes) for both paths side by side. Loops are bounded in count and time.

    python bench/gateway.py [--requests 2000] [--clients 4] [--seconds 2] [--rounds 3]
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.percentiles import percentile
from tests.faas_harness import start_local


def _connection(port: int) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", port, timeout=10)


def _get(conn: http.client.HTTPConnection, path: str) -> None:
    conn.request("GET", path)
    response = conn.getresponse()
    response.read()
    if response.status != 200:
        raise RuntimeError(f"{path}: HTTP {response.status}")


def latencies(port: int, path: str, count: int) -> list[float]:
    conn = _connection(port)
    out = []
    for _ in range(count):
        started = time.perf_counter()
        _get(conn, path)
        out.append(time.perf_counter() - started)
    conn.close()
    return out


def _client(port: int, path: str, seconds: float, max_requests: int, result: multiprocessing.Queue) -> None:
    conn = _connection(port)
    done = 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline and done < max_requests:
        _get(conn, path)
        done += 1
    conn.close()
    result.put(done)


def throughput(port: int, path: str, clients: int, seconds: float) -> float:
    result: multiprocessing.Queue = multiprocessing.Queue()
    procs = [
        multiprocessing.Process(target=_client, args=(port, path, seconds, 200_000, result)) for _ in range(clients)
    ]
    started = time.perf_counter()
    for proc in procs:
        proc.start()
    total = sum(result.get(timeout=seconds + 60) for _ in procs)
    for proc in procs:
        proc.join(timeout=10)
    return total / (time.perf_counter() - started)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000, help="sequential requests per path for latency")
    parser.add_argument("--clients", type=int, default=4, help="concurrent client processes for throughput")
    parser.add_argument("--seconds", type=float, default=2.0, help="duration of each throughput run")
    parser.add_argument("--rounds", type=int, default=3, help="alternating throughput runs per path (median)")
    args = parser.parse_args()

    faas, tmp = start_local()
    try:
        response = faas.deploy("hello", labels={"com.openfaas.scale.min": "1", "com.openfaas.scale.max": "1"})
        response.raise_for_status()
        faas.wait_ready("hello", 1)
        gateway_port = faas.gateway_port
        conn = _connection(gateway_port)
        conn.request("GET", "/function/hello")
        direct_port = int(json.loads(conn.getresponse().read())["port"])
        conn.close()
        paths = {"gateway": (gateway_port, "/function/hello"), "direct": (direct_port, "/")}

        for port, path in paths.values():  # warm up connections and code paths
            latencies(port, path, 200)
        processes = {info["name"]: info["pid"] for info in faas.supervisor().getAllProcessInfo()}
        gateway_pid = processes["gateway"]
        function_pid = next(pid for name, pid in processes.items() if name.startswith("fn-hello"))
        lat: dict[str, list[float]] = {name: [] for name in paths}
        cpu: dict[str, list[float]] = {name: [0.0, 0.0] for name in paths}
        block = 100
        for _ in range(max(1, args.requests // block)):  # interleave so drift affects both paths alike
            for name, (port, path) in paths.items():
                g0, f0 = cpu_seconds(gateway_pid), cpu_seconds(function_pid)
                lat[name] += latencies(port, path, block)
                cpu[name][0] += cpu_seconds(gateway_pid) - g0
                cpu[name][1] += cpu_seconds(function_pid) - f0
        runs: dict[str, list[float]] = {name: [] for name in paths}
        for _ in range(args.rounds):  # alternate, and take the median, so outside load skews both alike
            for name, (port, path) in paths.items():
                runs[name].append(throughput(port, path, args.clients, args.seconds))
        rps = {name: statistics.median(values) for name, values in runs.items()}

        rows = []
        for name in ("direct", "gateway"):
            per_call = [seconds / len(lat[name]) * 1e6 for seconds in cpu[name]]
            rows.append(
                (name, statistics.median(lat[name]) * 1000, percentile(lat[name], 0.99) * 1000, rps[name], *per_call)
            )
        print(f"gateway benchmark: hello, 1 replica, {args.requests} sequential requests per path, "
              f"{args.clients} clients x {args.seconds:g}s x {args.rounds} rounds for throughput (loopback)")
        print(f"{'path':<10}{'p50 ms':>10}{'p99 ms':>10}{'req/s':>10}{'gw cpu us':>11}{'fn cpu us':>11}")
        for name, p50, p99, r, gw_cpu, fn_cpu in rows:
            print(f"{name:<10}{p50:>10.3f}{p99:>10.3f}{r:>10.0f}{gw_cpu:>11.0f}{fn_cpu:>11.0f}")
        added = rows[1][1] - rows[0][1]
        ratio = rows[1][3] / rows[0][3] * 100
        print(f"{'added':<10}{added:>10.3f}{rows[1][2] - rows[0][2]:>10.3f}{ratio:>9.0f}%{rows[1][4]:>11.0f}")
        print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} (throughput is only "
              "comparable on an otherwise idle machine; CPU per call is not affected by load)")
        print(f"target: <= 1 ms p50 added ({'met' if added <= 1 else 'missed'}), "
              f">= 80% of direct throughput ({'met' if ratio >= 80 else 'missed'})")
    finally:
        faas.stop()
        tmp.cleanup()


if __name__ == "__main__":
    main()
