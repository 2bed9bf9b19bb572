"""Watching together, measured: 4 browser contexts in one room, 50 random play/pause/seek commands.

Runs against a running instance (FLMNCHLL_INSTANCE, default `bench`; `make bench` starts one) on loopback.
Debian's chromium (one browser, one context per member) is driven by `bench/sync.mjs`; this script prepares
the film, the members and the room, runs it and prints the table it returns against the targets:

- propagation: from the issuing call (`video.pause()`, `video.play()`, `currentTime = x` in one member's page)
  to the matching media event (pause / play / seeking) in each of the other members' pages, and where it went:
  until the issuer's engine has the command (its own media event), the data channel to each receiver's engine,
  and the receiver's media until its event (all pages share this machine's clock);
- drift: |position − room timeline| of every member, sampled every 100 ms while the room plays in steady state
  (from 1.5 s after a command until the next one);
- corrective seeks per peer per minute (the engine's own count, `window.__flmnchllSync.correctiveSeeks`).

    FLMNCHLL_INSTANCE=bench .venv/bin/python bench/sync.py [--commands 50] [--members 4] [--seed 1]
        [--dump raw.json] [--trace chromium-trace.json]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from ops.instance import Instance  # noqa: E402

CLIP_TITLE = "Sync check clip"
CLIP_DESCRIPTION = "Two minutes of test pattern and tone, for checks of watching together."
CLIP_SECONDS = 120


def make_clip(folder: Path, seconds: int = CLIP_SECONDS) -> Path:
    """A small H.264/AAC mp4 with a keyframe every second, so seeks land fast."""
    target = folder / "sync-check.mp4"
    subprocess.run([
        "ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
        "-f", "lavfi", "-i", f"testsrc2=size=640x360:rate=25:duration={seconds}",
        "-f", "lavfi", "-i", f"sine=frequency=440:beep_factor=2:duration={seconds}",
        "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "main", "-pix_fmt", "yuv420p", "-g", "25",
        "-c:a", "aac", "-b:a", "64k", "-movflags", "+faststart", str(target)], check=True)
    return target


def _items(front: str, token: str) -> list[dict[str, Any]]:
    response = requests.get(f"{front}/function/list-content", params={"q": CLIP_TITLE, "per_page": 20},
                            headers={"Authorization": f"Bearer {token}"}, timeout=30)
    response.raise_for_status()
    return [item for item in response.json()["items"] if item.get("title") == CLIP_TITLE]


def ensure_clip(front: str, admin_token: str, timeout: float = 300.0) -> dict[str, Any]:
    """The ready sync clip (uploaded through tus as the admin when missing); raises when it does not get ready."""
    from flmnchll.content.tus import upload_file

    front = front.rstrip("/")
    items = [item for item in _items(front, admin_token) if item.get("status") != "failed"]
    if items:
        content_id = items[0]["id"]
    else:
        with tempfile.TemporaryDirectory(prefix="flmnchll-sync-") as folder:
            clip = make_clip(Path(folder))
            upload = upload_file(f"{front}/uploads/", clip, admin_token,
                                 {"title": CLIP_TITLE, "description": CLIP_DESCRIPTION, "filetype": "video/mp4"})
        content_id = upload.content_id
    deadline = time.monotonic() + timeout
    while not content_id:  # the item shows up (as processing) once the upload hook has run
        found = [item for item in _items(front, admin_token) if item.get("status") != "failed"]
        content_id = found[0]["id"] if found else None
        if not content_id and time.monotonic() > deadline:
            raise RuntimeError("the uploaded sync clip does not appear in list-content")
        time.sleep(0.5)
    while True:
        item = requests.get(f"{front}/function/list-content/{content_id}",
                            headers={"Authorization": f"Bearer {admin_token}"}, timeout=30).json()
        if item.get("status") == "ready" and item.get("renditions"):
            return item
        if item.get("status") == "failed":
            raise RuntimeError(f"the sync clip failed to process: {item.get('error')}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the sync clip is not ready after {timeout:.0f} s: {item.get('status')}")
        time.sleep(1)


# ----------------------------------------------------------------------------------------------- the bench

TARGETS = {"propagation": 50.0, "drift": 40.0, "seeks_per_minute": 1.0}
PARTS = (("notice", "call → issuer's engine"), ("wire", "→ receiver's engine (data channel)"),
         ("react", "→ receiver's media event"))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, int(round(p / 100 * len(ordered))) - 1))]


def new_member(gateway: str, index: int) -> dict[str, Any]:
    """A fresh viewer, signed up from an address of its own (the per-address signup limit stays untouched)."""
    username = f"syncbench_{secrets.token_hex(4)}"
    password = secrets.token_urlsafe(12)
    headers = {"X-Real-IP": f"198.18.{200 + index}.{secrets.randbelow(250) + 1}"}
    response = requests.post(f"{gateway}/function/signup", json={"username": username, "password": password},
                             headers=headers, timeout=30)
    response.raise_for_status()
    response = requests.post(f"{gateway}/function/login", json={"username": username, "password": password},
                             headers=headers, timeout=30)
    response.raise_for_status()
    session = response.json()
    return {"token": session["token"], "user": session["user"]}


def row(name: str, values: list[float], target: float | None, unit: str = "ms") -> str:
    if not values:
        return f"| {name:<40} | {0:>5} | {'-':>7} | {'-':>7} | {'-':>7} | {'-':>10} | {'-':<4} |"
    p50, p95, top = percentile(values, 50), percentile(values, 95), max(values)
    verdict = "-" if target is None else ("ok" if p95 <= target else "MISS")
    goal = "-" if target is None else f"p95≤{target:g}{unit}"
    return f"| {name:<40} | {len(values):>5} | {p50:>7.1f} | {p95:>7.1f} | {top:>7.1f} | {goal:>10} | {verdict:<4} |"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=50)
    parser.add_argument("--members", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dump", type=Path, help="write every raw sample and media event here (JSON)")
    parser.add_argument("--trace", type=Path, help="write a chromium trace of the commands here (large)")
    args = parser.parse_args(argv)
    if not 2 <= args.members <= 6 or not 1 <= args.commands <= 200:
        parser.error("2-6 members and 1-200 commands")
    instance = Instance.load(os.environ.get("FLMNCHLL_INSTANCE", "bench"))
    os.environ.update(instance.environment())
    front, gateway = instance.url("front"), instance.url("gateway")
    admin = requests.post(f"{gateway}/function/login", timeout=30, json={
        "username": "admin", "password": (instance.secrets_dir / "admin-password").read_text().strip()})
    admin.raise_for_status()
    clip = ensure_clip(front, admin.json()["token"])
    members = [new_member(gateway, i) for i in range(args.members)]
    room = requests.post(f"{gateway}/function/create-room", timeout=30,
                         headers={"Authorization": f"Bearer {members[0]['token']}"},
                         json={"name": "Sync bench", "content_id": clip["id"]})
    room.raise_for_status()
    env = {**os.environ, "FRONT_URL": front, "SYNC_ROOM": str(room.json()["id"]), "SYNC_USERS": json.dumps(members),
           "SYNC_COMMANDS": str(args.commands), "SYNC_SEED": str(args.seed),
           "SYNC_DURATION": str(clip.get("duration") or CLIP_SECONDS)}
    if args.dump:
        env["SYNC_DUMP"] = str(args.dump.resolve())
    if args.trace:
        env["SYNC_TRACE"] = str(args.trace.resolve())
    started = time.monotonic()
    done = subprocess.run(["node", str(REPO / "bench" / "sync.mjs")], env=env, capture_output=True, text=True,
                          timeout=660, cwd=REPO)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        print(done.stdout[-4000:], done.stderr[-4000:], sep="\n", file=sys.stderr)
        return 1
    result = json.loads(lines[-1][len("RESULT "):])
    seeks = [count / result["minutes"] for count in result["correctiveSeeks"]]
    actions: dict[str, int] = {}
    for command in result["commands"]:
        actions[command["action"]] = actions.get(command["action"], 0) + 1
    print(f"sync: {result['members']} members, {len(result['commands'])} commands "
          f"({', '.join(f'{k} {v}' for k, v in sorted(actions.items()))}) over {result['minutes']:.1f} min, "
          f"{time.monotonic() - started:.0f} s in all; {result['missed']} media events missed")
    print(f"| {'measure':<40} |     n |     p50 |     p95 |     max |     target | ok   |")
    print(f"|{'-' * 42}|-------|---------|---------|---------|------------|------|")
    print(row("propagation: call → others (ms)", result["propagation"], TARGETS["propagation"]))
    for action in ("play", "pause", "seek"):
        values = [d for c in result["commands"] if c["action"] == action for d in c["delays"] if d is not None]
        print(row(f"  of {action}", values, None))
        parts = [p for c in result["commands"] if c["action"] == action for p in c.get("parts", []) if p]
        for part, what in PARTS:
            print(row(f"    {what}", [p[part] for p in parts], None))
    print(row("drift between peers (ms)", result["spread"], TARGETS["drift"]))
    print(row("drift from the timeline, |d| (ms)", result["drift"], None))
    worst = max(seeks) if seeks else 0.0
    verdict = "ok" if worst <= TARGETS["seeks_per_minute"] else "MISS"
    print(f"| {'corrective seeks /peer/min':<40} | {len(seeks):>5} | {percentile(seeks, 50):>7.2f} | "
          f"{percentile(seeks, 95):>7.2f} | {worst:>7.2f} | {'max≤1/min':>10} | {verdict:<4} |")
    print(f"corrective seeks per peer: {result['correctiveSeeks']}")
    slow = sorted(result["commands"], key=lambda c: -max((d for d in c["delays"] if d is not None), default=0))[:3]
    for command in slow:
        delays = ", ".join("missed" if d is None else f"{d:.0f}" for d in command["delays"])
        print(f"slowest: #{command['n']} {command['action']} by member {command['by']}: {delays} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
