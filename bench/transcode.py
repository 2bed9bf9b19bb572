"""Transcoding: the whole ladder of a generated 1080p clip, the naive way versus the workers' way.

naive:        one ffmpeg per rendition (1080/720/480 x mp4/webm), one after another, each decoding the
              source, with our encoder settings (flmnchll.media.encode): the pipeline's share alone.
naive-common: the same, with the settings guides usually give (x264 `medium`; VP9 `good`, cpu-used 4,
              row-mt): what measuring the presets adds on top.
ours:         what one `transcode` and one `downscale` worker do side by side: the lowest rung's mp4
              alone first (the source-size job yields to it), then the source size (mp4+webm from one
              decode) alongside the other lower renditions (from one decode).
Prints wall time, time until the first rendition is playable, and CPU seconds. Media goes to bench/out/.

    python bench/transcode.py [--seconds 20] [--compliant] [--priority -15]

On a shared machine other processes distort wall-clock figures (and favour the pipeline that runs more
processes), so the benchmark raises its own CPU priority when allowed (`--priority`, root only) and prints
the load average around the run; CPU seconds are unaffected by contention either way.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flmnchll.media import encode, ladder
from flmnchll.media.probe import MediaInfo, probe
from flmnchll.media.process import run_ffmpeg
from workers.transcode import first_rendition_wait

OUT = Path(__file__).resolve().parent / "out" / "transcode"


def make_source(seconds: int, compliant: bool) -> Path:
    """A 1080p30 test pattern with a tone. By default 4:2:2 H.264 (a camera-style master no browser plays),
    so every rendition is a real encode; `--compliant` makes a 4:2:0 one whose own size is remuxed."""
    name = f"source-{seconds}s-{'420' if compliant else '422'}.mkv"
    target = OUT / name
    if not target.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        subprocess.run([
            "ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", f"testsrc2=size=1920x1080:rate=30:duration={seconds}",
            "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
            "-c:v", "libx264", "-preset", "fast", "-crf", "18",
            "-pix_fmt", "yuv420p" if compliant else "yuv422p", "-c:a", "aac", "-shortest", str(target)],
            check=True)
    return target


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


COMMON = encode.EncoderSettings(x264_preset="medium", vp9_deadline="good", vp9_cpu_used=4)


def naive(source: Path, info: MediaInfo, plan: ladder.Plan,
          settings: encode.EncoderSettings | None = None) -> dict[str, float]:
    folder = OUT / "naive"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    order = sorted(plan.all, key=lambda r: (-r.rung, r.container))
    start, cpu = time.monotonic(), cpu_seconds()
    first = None
    for rendition in order:
        plain = ladder.Rendition(rendition.container, rendition.rung, rendition.width, rendition.height,
                                 rendition.audio)  # the naive way re-encodes everything
        run_ffmpeg(encode.command(source, info, [(plain, folder / rendition.name)], settings),
                   duration=info.duration, timeout=3600)
        first = first or time.monotonic() - start
    return {"wall": time.monotonic() - start, "first": first or 0.0, "cpu": cpu_seconds() - cpu,
            "outputs": len(order)}


def ours(source: Path, info: MediaInfo, plan: ladder.Plan) -> dict[str, float]:
    folder = OUT / "ours"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    batches = ladder.downscale_batches(plan)
    finished: list[float] = []
    errors: list[BaseException] = []
    start, cpu = time.monotonic(), cpu_seconds()

    first_done = threading.Event()

    def job(groups: list[tuple[ladder.Rendition, ...]], yield_first: bool) -> None:
        try:
            if yield_first:
                first_done.wait(first_rendition_wait(info.duration))
            for group in groups:
                run_ffmpeg(encode.command(source, info, [(r, folder / r.name) for r in group]),
                           duration=info.duration, timeout=3600)
                finished.append(time.monotonic() - start)
                first_done.set()
        except BaseException as exc:  # reported after both workers stop
            errors.append(exc)
            first_done.set()

    workers = [threading.Thread(target=job, args=([plan.source], bool(batches)))]
    if batches:
        workers.append(threading.Thread(target=job, args=(batches, False)))
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if errors:
        raise errors[0]
    return {"wall": time.monotonic() - start, "first": min(finished), "cpu": cpu_seconds() - cpu,
            "outputs": len(plan.all)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--compliant", action="store_true", help="a browser-ready source (remux for its size)")
    parser.add_argument("--priority", type=int, default=-15, help="niceness to run at (negative needs root)")
    parser.add_argument("--skip-common", action="store_true", help="leave out the slow naive-common run")
    args = parser.parse_args()
    try:
        os.nice(args.priority)
    except PermissionError:
        print(f"(could not change priority by {args.priority}; running at normal priority)")
    load = os.getloadavg()[0]
    source = make_source(args.seconds, args.compliant)
    info = probe(source)
    plan = ladder.plan(info)
    print(f"source: {info.width}x{info.height} {info.video_codec} {info.pix_fmt}, {info.duration:.0f} s; "
          f"ladder: {', '.join(sorted(r.name for r in plan.all))}; threads per encoder: "
          f"{encode.default_threads()}")
    results = {"naive": naive(source, info, plan)}
    if not args.skip_common:
        results["naive-common"] = naive(source, info, plan, COMMON)
    results["ours"] = ours(source, info, plan)
    print(f"{'pipeline':<14}{'outputs':>8}{'wall s':>9}{'first playable s':>18}{'CPU s':>8}"
          f"{'ours faster (wall)':>20}{'(CPU)':>8}")
    for name, result in results.items():
        print(f"{name:<14}{result['outputs']:>8.0f}{result['wall']:>9.1f}{result['first']:>18.1f}"
              f"{result['cpu']:>8.1f}{result['wall'] / results['ours']['wall']:>19.2f}x"
              f"{result['cpu'] / results['ours']['cpu']:>7.2f}x")
    print(f"niceness {os.nice(0)}; load average before {load:.1f}, after {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} CPUs")
    first_ok = results["ours"]["first"] <= info.duration / 2
    for name in (n for n in results if n != "ours"):
        fast = results[name]["wall"] / results["ours"]["wall"] >= 1.7
        print(f"target vs {name}: >= 1.7x and first playable <= {info.duration / 2:.0f} s -> "
              f"{'met' if fast and first_ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
