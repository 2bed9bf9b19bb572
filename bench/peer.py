"""Viewers per PeerJS server, measured: one `peer/server.js` on loopback, websocket clients in rooms of 5.

Needs no instance: starts its own server process (temp SECRETS_DIR, a free port) and drives `bench/peer.mjs`,
which opens the clients in steps (250, 500, 1000, 2000, 4000 by default) and measures connect time (until the server's
OPEN) and the relay latency of OFFER messages between two members of a room. After each step this script reads
the server's RSS (/proc/<pid>/status VmRSS) and CPU time (/proc/<pid>/stat utime + stime) and prints a table.
The server and every socket are stopped at the end, also on error.

    .venv/bin/python bench/peer.py [--steps 250,500,1000,2000,4000] [--samples 200]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
RUN_TIMEOUT = 55.0  # seconds for the whole run, startup included


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def cpu_seconds(pid: int) -> float:
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) "; utime and stime are fields 14 and 15
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def wait_healthy(port: int, server: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if server.poll() is not None:
            raise RuntimeError(f"peer server exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as response:
                if json.load(response).get("ok"):
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("peer server did not answer /health")
        time.sleep(0.05)


def stop(process: subprocess.Popen[Any] | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=3)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=3)


def run(steps: list[int], samples: int) -> list[dict[str, Any]]:
    """Returns one row per step: the driver's figures plus the server's rss_kib, cpu_s and base_rss_kib."""
    secret = secrets.token_urlsafe(32)
    port = free_port()
    rows: list[dict[str, Any]] = []
    server: subprocess.Popen[bytes] | None = None
    driver: subprocess.Popen[str] | None = None
    with tempfile.TemporaryDirectory(prefix="peer-bench-") as secrets_dir:
        (Path(secrets_dir) / "peer-token-key").write_text(f"{secret}\n")
        os.chmod(Path(secrets_dir) / "peer-token-key", 0o600)
        try:
            server = subprocess.Popen(
                ["node", str(REPO / "peer" / "server.js"), "--port", str(port)],
                env={"PATH": os.environ.get("PATH", ""), "SECRETS_DIR": secrets_dir},
                cwd=REPO / "peer", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wait_healthy(port, server)
            base_rss, base_cpu = rss_kib(server.pid), cpu_seconds(server.pid)
            started = time.monotonic()
            driver = subprocess.Popen(
                ["node", str(REPO / "bench" / "peer.mjs")], cwd=REPO / "peer", text=True,
                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                env={**os.environ, "PEER_URL": f"ws://127.0.0.1:{port}/peerjs/peerjs", "PEER_SECRET": secret,
                     "PEER_STEPS": ",".join(map(str, steps)), "PEER_SAMPLES": str(samples),
                     "PEER_DEADLINE_MS": str(int(RUN_TIMEOUT * 1000) - 5000)})
            assert driver.stdin is not None and driver.stdout is not None
            for line in driver.stdout:
                if line.startswith("STEP "):
                    row = json.loads(line[len("STEP "):])
                    time.sleep(0.3)  # let the server settle after the last relay before sampling
                    row.update(rss_kib=rss_kib(server.pid), cpu_s=cpu_seconds(server.pid) - base_cpu,
                               base_rss_kib=base_rss)
                    rows.append(row)
                    driver.stdin.write("next\n")
                    driver.stdin.flush()
                elif line.startswith("DONE"):
                    break
                if time.monotonic() - started > RUN_TIMEOUT:
                    raise RuntimeError("peer bench ran out of time")
            if driver.wait(timeout=10) != 0:
                raise RuntimeError(f"bench/peer.mjs exited with {driver.returncode}")
        finally:
            stop(driver)
            stop(server)
    return rows


def print_table(rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    base = rows[0]["base_rss_kib"]
    print(f"peer server: RSS at start {base / 1024:.1f} MiB; rooms of 5; loopback; "
          f"{rows[-1]['relayN']} OFFER relays sampled per step")
    print("| viewers | rooms | RSS MiB | KiB/viewer | connect p50 | connect p95 | joins/s "
          "| relay p50 | relay p95 | relay max | CPU s |")
    print("|--------:|------:|--------:|-----------:|------------:|------------:|--------:"
          "|----------:|----------:|----------:|------:|")
    for row in rows:
        per_viewer = (row["rss_kib"] - base) / row["viewers"]
        joins = row["opened"] / row["connectSeconds"] if row["connectSeconds"] else float("nan")
        print(f"| {row['viewers']:>7} | {row['rooms']:>5} | {row['rss_kib'] / 1024:>7.1f} | {per_viewer:>10.1f} "
              f"| {row['connectP50']:>8.2f} ms | {row['connectP95']:>8.2f} ms | {joins:>7.0f} "
              f"| {row['relayP50']:>6.2f} ms | {row['relayP95']:>6.2f} ms | {row['relayMax']:>6.2f} ms "
              f"| {row['cpu_s']:>5.2f} |")
    print("KiB/viewer = (RSS - RSS at start) / viewers; CPU s = server CPU time used since start (cumulative).")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--steps", default="250,500,1000,2000,4000", help="cumulative viewer counts, comma-separated")
    parser.add_argument("--samples", type=int, default=200, help="OFFER relays timed per step")
    args = parser.parse_args(argv)
    steps = [int(step) for step in args.steps.split(",")]
    if any(b <= a for a, b in zip(steps, steps[1:], strict=False)) or steps[0] < 10 or steps[-1] > 5000:
        parser.error("steps must increase, from at least 10 up to at most 5000")
    if not 1 <= args.samples <= 2000:
        parser.error("1-2000 samples")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the server and the driver on the way out
    try:
        rows = run(steps, args.samples)
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as err:
        print(f"peer bench failed: {err}", file=sys.stderr)
        return 1
    print_table(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
