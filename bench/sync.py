"""Watching together, measured: browser contexts in one room, random play/pause/seek commands, over real networks.

Runs against a running instance (FLMNCHLL_INSTANCE, default `bench`; `make bench` starts one) on loopback.
Debian's chromium (one browser, one context per member) is driven by `bench/sync.mjs`; this script prepares
the film, the members and the room, runs it and prints the table it returns against the targets:

- propagation: from a member's press of the app's own control in its page (the play/pause button, a value
  on the seek bar) to the matching media event (pause / play / seeking) in each of the other members' pages,
  and where it went: until the issuer's engine has the command (the controls report it at once), the data
  channel to each receiver's engine, and from there the receiver page's call on its media (where the command
  takes effect in the media pipeline) and the media's event (all pages share this machine's clock);
- drift: |position − room timeline| of every member, sampled every 100 ms while the room plays in steady state
  (from 1.5 s after a command until the next one);
- corrective seeks per peer per minute (the engine's own count, `window.__flmnchllSync.correctiveSeeks`);
- a late joiner: one member leaves and opens the room again while it plays; the time from its page's load
  until its film is within 40 ms of the others';
- chat: every member writes a few lines at once; lines lost, members showing a sender's lines out of order;
- voice (`--voice S`): everyone joins voice (Chromium's fake microphone) and each member's audio upload is
  measured over S seconds: in a mesh every member sends its voice to every other.

Positions are compared on the one clock all pages on this machine share (it is also the server's), so a
member's clock error counts as drift. With `--network` each member is behind an impairment relay of its own
(bench/netem.py: WebRTC through TURN only, HTTP shaped by Chromium): `lan`, `broadband`, `mobile`, `mixed`, a
comma-separated list of them, or `all` (each in turn, then a summary side by side). Without it, loopback.

    FLMNCHLL_INSTANCE=bench .venv/bin/python bench/sync.py [--network all] [--members 6] [--commands 50]
        [--voice 8] [--seed 1] [--via controls|element] [--dump raw.json] [--trace chromium-trace.json]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.netem import NETWORKS, PROFILES, Relays, member_profiles  # noqa: E402
from bench.percentiles import percentile  # noqa: E402
from bench.samples import reel  # noqa: E402
from ops.instance import Instance  # noqa: E402

CLIP_TITLE = "Sync check film"
CLIP_DESCRIPTION = "Two minutes of film (Big Buck Bunny, a street scene), for checks of watching together."
CLIP_SECONDS = 120


def make_clip(folder: Path, seconds: int = CLIP_SECONDS) -> Path:
    """`seconds` of film at 640x360 (the benchmarks' reel, looped without encoding again), H.264/AAC mp4 with a
    keyframe every second, so seeks land fast."""
    one_reel = folder / "sync-reel.mp4"
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *reel(640, 360), "-map", "[v]",
                    "-map", "[s]", "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "main",
                    "-pix_fmt", "yuv420p", "-g", "25", "-c:a", "aac", "-b:a", "64k", str(one_reel)], check=True)
    target = folder / "sync-check.mp4"
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-stream_loop", "-1", "-i", str(one_reel),
                    "-t", str(seconds), "-c", "copy", "-movflags", "+faststart", str(target)], check=True)
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

PARTS = (("notice", "press → issuer's engine"), ("wire", "→ receiver's engine (data channel)"),
         ("call", "→ receiver's call on its media"), ("react", "→ receiver's media event"))
LATE_JOIN_WITHIN_MS = 40


@dataclass(frozen=True)
class Targets:
    """What a network must meet (ms; None: no target there)."""

    propagation_beyond_one_way: float | None = 50.0
    drift_p95: float | None = 40.0
    drift_p99: float | None = None
    drift_max: float | None = None
    seeks_per_minute: float | None = 1.0
    late_join_ms: float | None = None


TARGETS = {
    "loopback": Targets(),
    # a LAN's targets are its spikes: propagation is judged where the links have a delay worth absorbing
    "lan": Targets(propagation_beyond_one_way=None, drift_p95=None, drift_p99=60.0, drift_max=100.0),
    "broadband": Targets(),
    "mixed": Targets(),
    "mobile": Targets(propagation_beyond_one_way=None, drift_p95=80.0, seeks_per_minute=None, late_join_ms=3000.0),
}


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


def verdict(value: float, target: float | None) -> str:
    return "-" if target is None else ("ok" if value <= target else "MISS")


def row(name: str, values: list[float], target: float | None = None, unit: str = "ms", at: int = 95) -> str:
    if not values:
        return f"| {name:<44} | {0:>5} | {'-':>7} | {'-':>7} | {'-':>7} | {'-':>12} | {'-':<4} |"
    p50, pn, top = percentile(values, 0.5), percentile(values, at / 100), max(values)
    goal = "-" if target is None else f"p{at}≤{target:g}{unit}"
    return (f"| {name:<44} | {len(values):>5} | {p50:>7.1f} | {pn:>7.1f} | {top:>7.1f} | {goal:>12} | "
            f"{verdict(pn, target):<4} |")


def line(name: str, value: str, goal: str = "-", ok: str = "-") -> str:
    return f"| {name:<44} | {'':>5} | {'':>7} | {'':>7} | {value:>7} | {goal:>12} | {ok:<4} |"


def one_way(network: list[dict[str, Any]] | None, a: int, b: int) -> float:
    """One-way delay (ms) from member a to member b: a's uplink and b's downlink."""
    return 0.0 if not network else network[a]["rtt_ms"] / 2 + network[b]["rtt_ms"] / 2


def command_delay(network: list[dict[str, Any]] | None, command: dict[str, Any], to: int) -> float:
    """The network's share of a command's propagation (ms): the one-way delay to that member, or for a play
    (scheduled so that everyone starts together) to the farthest member."""
    if command["action"] == "play":
        return max(one_way(network, command["by"], other) for other in command["to"])
    return one_way(network, command["by"], to)


def message_transits(network: list[dict[str, Any]] | None, command: dict[str, Any]) -> list[float]:
    """What the network took of a command on its way to each receiver (ms): the data channel's transit of that
    very message where it was measured, else the links' mean one-way delay; for a play (everyone starts at
    once) the slowest transit to any of them."""
    transits = [part["wire"] if part else command_delay(network, command, to)
                for part, to in zip(command.get("parts") or [None] * len(command["to"]), command["to"], strict=True)]
    if command["action"] == "play" and transits:
        return [max(transits)] * len(transits)
    return transits


class CpuMeter:
    """Cores busy on the machine during a run, and how many of them this bench used: itself and every process
    under the node it runs (chromium's included), read from /proc once a second."""

    def __init__(self) -> None:
        self.seen: dict[int, float] = {}
        self.root: int | None = None
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.tick = os.sysconf("SC_CLK_TCK")

    def __enter__(self) -> CpuMeter:
        self.machine0, self.self0, self.t0 = self._machine(), self._self(), time.monotonic()
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()
        seconds = max(1e-6, time.monotonic() - self.t0)
        self.busy = (self._machine() - self.machine0) / seconds
        self.ours = (self._self() - self.self0 + sum(self.seen.values())) / seconds

    def _machine(self) -> float:
        with contextlib.suppress(OSError), open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
            return (sum(fields[:8]) - fields[3] - fields[4]) / self.tick
        return float("nan")

    @staticmethod
    def _self() -> float:
        me = resource.getrusage(resource.RUSAGE_SELF)
        return me.ru_utime + me.ru_stime

    def _watch(self) -> None:
        while not self.stop.wait(1.0):
            if self.root is None:
                continue
            parents: dict[int, int] = {}
            times: dict[int, float] = {}
            for entry in os.listdir("/proc"):
                if not entry.isdigit():
                    continue
                with contextlib.suppress(OSError), open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                    parents[int(entry)] = int(fields[1])
                    times[int(entry)] = (int(fields[11]) + int(fields[12])) / self.tick
            for pid, cpu in times.items():
                ancestor = pid
                while ancestor not in (0, 1, self.root) and ancestor in parents:
                    ancestor = parents[ancestor]
                if ancestor == self.root:
                    self.seen[pid] = cpu

    def describe(self) -> str:
        return (f"CPU during the run: {self.busy:.2f} cores busy on this machine, {self.ours:.2f} of them this bench "
                f"(node, chromium, relays), {max(0.0, self.busy - self.ours):.2f} everything else "
                f"(the stack and other users), of {os.cpu_count()}")


def run_network(args: argparse.Namespace, name: str, front: str, gateway: str, clip: dict[str, Any],
                turn_port: int) -> dict[str, Any] | None:
    """One room on one network: prints its table, returns its summary (None when the run failed)."""
    members = [new_member(gateway, i) for i in range(args.members)]
    room = requests.post(f"{gateway}/function/create-room", timeout=30,
                         headers={"Authorization": f"Bearer {members[0]['token']}"},
                         json={"name": f"Sync bench ({name})", "content_id": clip["id"]})
    room.raise_for_status()
    env = {**os.environ, "FRONT_URL": front, "SYNC_ROOM": str(room.json()["id"]), "SYNC_USERS": json.dumps(members),
           "SYNC_COMMANDS": str(args.commands), "SYNC_SEED": str(args.seed), "SYNC_VOICE_S": str(args.voice),
           "SYNC_DURATION": str(clip.get("duration") or CLIP_SECONDS), "SYNC_VIA": args.via}
    if args.dump:
        env["SYNC_DUMP"] = str(args.dump.resolve().with_suffix(f".{name}.json"))
    if args.trace:
        env["SYNC_TRACE"] = str(args.trace.resolve())
    started = time.monotonic()
    relays: Relays | None = None
    with contextlib.ExitStack() as stack:
        if name != "loopback":
            relays = stack.enter_context(Relays(member_profiles(name, args.members), ("127.0.0.1", turn_port),
                                                seed=args.seed))
            env["SYNC_NETWORK"] = json.dumps(relays.plan())
        cpu = stack.enter_context(CpuMeter())
        node = subprocess.Popen(["node", str(REPO / "bench" / "sync.mjs")], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, cwd=REPO)
        cpu.root = node.pid
        try:
            stdout, stderr = node.communicate(timeout=780)
        except subprocess.TimeoutExpired:
            node.kill()
            stdout, stderr = node.communicate()
    lines = [text for text in stdout.splitlines() if text.startswith("RESULT ")]
    if node.returncode != 0 or not lines:
        print(f"{name}: the run failed", stdout[-4000:], stderr[-4000:], sep="\n", file=sys.stderr)
        return None
    result = json.loads(lines[-1][len("RESULT "):])
    summary = report(name, result, time.monotonic() - started, cpu)
    if relays is not None:
        late = relays.lateness()
        print(f"relays ({relays.scheduling} scheduling): packets left their link late by p50 {late.get('p50')} / "
              f"p95 {late.get('p95')} / p99 {late.get('p99')} / max {late.get('max')} ms, each relay a message "
              "crosses (two), part of its transit above")
    return summary


def report(name: str, result: dict[str, Any], took: float, cpu: CpuMeter) -> dict[str, Any]:
    """Prints one network's table; returns the figures of the summary."""
    targets = TARGETS[name]
    network = result.get("network")
    seeks = [count / result["minutes"] for count in result["correctiveSeeks"]]
    actions: dict[str, int] = {}
    for command in result["commands"]:
        actions[command["action"]] = actions.get(command["action"], 0) + 1
    links = ", ".join(f"{p['name']}" for p in network) if network else "loopback"
    print(f"\n## {name}: {result['members']} members ({links}), {len(result['commands'])} commands "
          f"({', '.join(f'{k} {v}' for k, v in sorted(actions.items()))}) over {result['minutes']:.1f} min, "
          f"{took:.0f} s in all; {result['missed']} media events missed")
    played = {kind: result["playback"].count(kind) for kind in result["playback"]}
    print("playback: " + ", ".join(f"{kind} for {count} of {result['members']}" for kind, count in played.items()))
    print(cpu.describe())
    print("members acted " + ("through the app's controls" if result.get("via", "controls") == "controls"
                              else "on the <video> itself (the room hears of it from the media's events)"))
    print(f"| {'measure':<44} |     n |     p50 |     p95 |     max |       target | ok   |")
    print(f"|{'-' * 46}|-------|---------|---------|---------|--------------|------|")
    beyond = [d - command_delay(network, c, to) for c in result["commands"]
              for d, to in zip(c["delays"], c["to"], strict=True) if d is not None]
    beyond_transit_of = [(c["action"], d - transit) for c in result["commands"]
                         for d, transit in zip(c["delays"], message_transits(network, c), strict=True) if d is not None]
    beyond_transit = [value for _, value in beyond_transit_of]
    print(row("propagation: press → others (ms)", result["propagation"]))
    print(row("  beyond the links' mean one-way delay (ms)", beyond,
              None if network else targets.propagation_beyond_one_way))
    if network:
        print(row("  beyond this message's own transit (ms)", beyond_transit, targets.propagation_beyond_one_way))
    print("  (a play is scheduled for everyone at once: its one-way delay is the farthest member's; a message's")
    print("   transit is its time on the data channel, jitter and retransmissions included, on the shared clock;")
    print("   a receiver's call on its media and that media's event both count from its engine having the command)")
    for action in ("play", "pause", "seek"):
        values = [d for c in result["commands"] if c["action"] == action for d in c["delays"] if d is not None]
        print(row(f"  of {action}", values))
        if network:
            print(row("    beyond its own transit", [value for of, value in beyond_transit_of if of == action]))
        parts = [p for c in result["commands"] if c["action"] == action for p in c.get("parts", []) if p]
        for part, what in PARTS:
            print(row(f"    {what}", [p[part] for p in parts if p.get(part) is not None]))
    spread = result["spread"]
    print(row("drift between peers (ms)", spread, targets.drift_p95))
    if targets.drift_p99 is not None:
        print(row("  p99", spread, targets.drift_p99, at=99))
    if targets.drift_max is not None:
        top = max(spread) if spread else float("nan")
        print(line("  max", f"{top:.1f}", f"max≤{targets.drift_max:g}ms", verdict(top, targets.drift_max)))
    print(row("drift from the timeline, |d| (ms)", result["drift"]))
    print(row("  as each engine sees it (its own clock)", result["engineDrift"]))
    print(row("clock error, |offset| (ms)", [abs(o) for o in result["offsets"]]))
    worst = max(seeks) if seeks else 0.0
    goal = "-" if targets.seeks_per_minute is None else "max≤1/min"
    print(f"| {'corrective seeks /peer/min':<44} | {len(seeks):>5} | {percentile(seeks, 0.5):>7.2f} | "
          f"{percentile(seeks, 0.95):>7.2f} | {worst:>7.2f} | {goal:>12} | "
          f"{verdict(worst, targets.seeks_per_minute):<4} |")
    join = result["join"]
    join_ms = join["fromLoad"] if join["ok"] else float("inf")
    goal = "-" if targets.late_join_ms is None else f"≤{targets.late_join_ms:g}ms"
    print(line(f"late joiner in step (±{LATE_JOIN_WITHIN_MS} ms), from page load", f"{join_ms:.0f}", goal,
               verdict(join_ms, targets.late_join_ms)))
    chat = result["chat"]
    chat_ok = chat["lost"] == 0 and chat["outOfOrder"] == 0 and chat["sameOrder"]
    print(line(f"chat: {chat['lines']} lines to {chat['members']}: lost / out of order",
               f"{chat['lost']} / {chat['outOfOrder']}", "0 / 0", "ok" if chat_ok else "MISS"))
    for gone in chat.get("missing", []):
        print(f"chat: member {gone['member']} never showed {gone['from']}'s line {gone['text']!r}")
    voice = result.get("voice")
    if voice and "error" in voice:
        print(f"voice: not measured ({voice['error'].splitlines()[0]})")
        voice = None
    if voice:
        up = voice["uploadBytesPerS"]
        print(row("voice upload per member (kB/s)", [b / 1000 for b in up], unit="kB/s"))
        print(f"voice: streams each member received {voice['streamsReceived']}; upload per member (kB/s) "
              f"{', '.join(f'{b / 1000:.1f}' for b in up)}")
        if voice.get("connections"):
            states = ["/".join(f"{state} {n}" for state, n in Counter(page).most_common())
                      for page in voice["connections"]]
            print("voice: a stream is missing; each member's connections (links and calls) by state: "
                  + "; ".join(states))
    print(f"corrective seeks per peer: {result['correctiveSeeks']}; clock offsets (ms): "
          f"{', '.join(f'{o:.1f}' for o in result['offsets'])}")
    return {"name": name, "propagation_p95": percentile(result["propagation"], 0.95),
            "beyond_p95": percentile(beyond, 0.95),
            "beyond_transit_p95": percentile(beyond_transit, 0.95) if network else None,
            "drift_p95": percentile(spread, 0.95),
            "drift_p99": percentile(spread, 0.99), "drift_max": max(spread) if spread else float("nan"),
            "seeks_max": worst, "join_ms": join_ms, "chat_ok": chat_ok,
            "voice_kbps": (sum(voice["uploadBytesPerS"]) / len(voice["uploadBytesPerS"]) / 1000) if voice else None,
            "cpu_others": max(0.0, cpu.busy - cpu.ours)}


def summary(rows: list[dict[str, Any]]) -> None:
    print("\n## side by side")
    names = [r["name"] for r in rows]
    print("| measure | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    for key, what, fmt in (("propagation_p95", "propagation p95 (ms)", "{:.0f}"),
                           ("beyond_p95", "  beyond the links' mean one-way delay, p95 (ms)", "{:.0f}"),
                           ("beyond_transit_p95", "  beyond each message's own transit, p95 (ms)", "{:.0f}"),
                           ("drift_p95", "drift between peers p95 (ms)", "{:.1f}"),
                           ("drift_p99", "drift between peers p99 (ms)", "{:.1f}"),
                           ("drift_max", "drift between peers max (ms)", "{:.1f}"),
                           ("seeks_max", "corrective seeks /peer/min, worst", "{:.2f}"),
                           ("join_ms", "late joiner in step after load (ms)", "{:.0f}"),
                           ("chat_ok", "chat whole and in order", "{}"),
                           ("voice_kbps", "voice upload per member (kB/s)", "{:.1f}"),
                           ("cpu_others", "cores used by others meanwhile", "{:.2f}")):
        cells = ["-" if r[key] is None else fmt.format(r[key]) for r in rows]
        print(f"| {what} | " + " | ".join(cells) + " |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=50)
    parser.add_argument("--members", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--network", default="loopback",
                        help=f"loopback, all, or a comma-separated list of: {', '.join(NETWORKS)}")
    parser.add_argument("--voice", type=float, default=0, help="seconds of voice to measure (0: none)")
    parser.add_argument("--via", choices=("controls", "element"), default="controls",
                        help="members press the app's controls (default), or act on the <video> itself as a page "
                             "script would (the room then hears of it from the media's events)")
    parser.add_argument("--dump", type=Path, help="write every raw sample and media event, and each page's frames "
                        "over 50 ms, here (JSON, one per network)")
    parser.add_argument("--trace", type=Path, help="write a chromium trace of the commands here (large)")
    args = parser.parse_args(argv)
    if not 2 <= args.members <= 6 or not 1 <= args.commands <= 200:
        parser.error("2-6 members and 1-200 commands")
    names = list(NETWORKS) if args.network == "all" else args.network.split(",")
    unknown = [n for n in names if n != "loopback" and n not in NETWORKS]
    if unknown:
        parser.error(f"unknown network {', '.join(unknown)}: loopback, all, {', '.join(NETWORKS)}")
    instance = Instance.load(os.environ.get("FLMNCHLL_INSTANCE", "bench"))
    os.environ.update(instance.environment())
    front, gateway = instance.url("front"), instance.url("gateway")
    admin = requests.post(f"{gateway}/function/login", timeout=30, json={
        "username": "admin", "password": (instance.secrets_dir / "admin-password").read_text().strip()})
    admin.raise_for_status()
    clip = ensure_clip(front, admin.json()["token"])
    for n in names:
        if n in PROFILES:
            p = PROFILES[n]
            print(f"{n}: each member's link {p.rtt_ms:g} ms round trip ± {p.jitter_ms:g} ms, "
                  f"{p.loss * 100:g} % loss, {'no cap' if not p.rate_bps else f'{p.rate_bps / 1e6:g} Mb/s'}")
    rows = [run_network(args, n, front, gateway, clip, instance.ports["turn"]) for n in names]
    done = [r for r in rows if r is not None]
    if len(done) > 1:
        summary(done)
    return 0 if len(done) == len(rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
