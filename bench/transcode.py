"""Transcoding: the whole ladder of a generated 1080p clip, the naive way versus the workers' way.

naive: one ffmpeg per rendition (1080/720/480 x mp4/webm), one after another, each decoding the source.
ours:  what one `transcode` and one `downscale` worker do side by side: the source size (mp4+webm from
       one decode) at lower CPU priority, and the lower rungs, lowest first, each batch from one decode.
Both use the same encoder settings (flmnchll.media.encode), so the difference is the pipeline alone.
Prints wall time, time until the first rendition is playable, and CPU seconds. Media goes to bench/out/.

    python bench/transcode.py [--seconds 20] [--compliant]
"""

from __future__ import annotations

import argparse
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
from workers.transcode import SOURCE_NICENESS

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


def naive(source: Path, info: MediaInfo, plan: ladder.Plan) -> dict[str, float]:
    folder = OUT / "naive"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    order = sorted(plan.all, key=lambda r: (-r.rung, r.container))
    start, cpu = time.monotonic(), cpu_seconds()
    first = None
    for rendition in order:
        plain = ladder.Rendition(rendition.container, rendition.rung, rendition.width, rendition.height,
                                 rendition.audio)  # the naive way re-encodes everything
        run_ffmpeg(encode.command(source, info, [(plain, folder / rendition.name)]), duration=info.duration,
                   timeout=3600)
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

    def job(groups: list[tuple[ladder.Rendition, ...]], niceness: int) -> None:
        try:
            for group in groups:
                run_ffmpeg(encode.command(source, info, [(r, folder / r.name) for r in group]),
                           duration=info.duration, timeout=3600, niceness=niceness)
                finished.append(time.monotonic() - start)
        except BaseException as exc:  # reported after both workers stop
            errors.append(exc)

    workers = [threading.Thread(target=job, args=([plan.source], SOURCE_NICENESS if batches else 0))]
    if batches:
        workers.append(threading.Thread(target=job, args=(batches, 0)))
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
    args = parser.parse_args()
    source = make_source(args.seconds, args.compliant)
    info = probe(source)
    plan = ladder.plan(info)
    print(f"source: {info.width}x{info.height} {info.video_codec} {info.pix_fmt}, {info.duration:.0f} s; "
          f"ladder: {', '.join(sorted(r.name for r in plan.all))}; threads per encoder: "
          f"{encode.default_threads()}")
    results = {"naive": naive(source, info, plan), "ours": ours(source, info, plan)}
    print(f"{'pipeline':<10}{'outputs':>8}{'wall s':>9}{'first playable s':>18}{'CPU s':>8}{'speed-up':>10}")
    for name, result in results.items():
        speedup = results["naive"]["wall"] / result["wall"]
        print(f"{name:<10}{result['outputs']:>8.0f}{result['wall']:>9.1f}{result['first']:>18.1f}"
              f"{result['cpu']:>8.1f}{speedup:>9.2f}x")
    first_ok = results["ours"]["first"] <= info.duration / 2
    print(f"target: >= 1.7x and first playable <= {info.duration / 2:.0f} s -> "
          f"{'met' if results['naive']['wall'] / results['ours']['wall'] >= 1.7 and first_ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
