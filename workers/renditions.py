"""Encoding a group of renditions from one decode as HLS streams, publishing them as they grow, then the
progressive files remuxed from them.

ffmpeg writes each stream into the job's work folder; `workers.streams` publishes its segments and growing
playlist while it runs, so the item plays after its first segments. When ffmpeg is done every stream must
have ended; unless the plan says no progressive files, each stream is remuxed into its mp4 or webm file,
published only after ffprobe agrees it is whole (without them, the joined segments must probe whole). A
source that decodes to much less than its declared length is reported as truncated.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from flmnchll.content import jobs
from flmnchll.media import encode
from flmnchll.media.errors import EncodeError, MediaError, explain
from flmnchll.media.ladder import Rendition
from flmnchll.media.probe import MediaInfo, probe
from flmnchll.media.process import run_ffmpeg
from workers.report import Reporter
from workers.stage import ffmpeg_timeout
from workers.streams import StreamPublisher, join_segments
from workers.workspace import publish, work_dir

TRUNCATED_RATIO = 0.9


def verify(path: Path, rendition: Rendition, source: MediaInfo) -> MediaInfo:
    """Probe an output: right codec, full length. A short output means the source itself is truncated."""
    try:
        info = probe(path)
    except MediaError as exc:
        raise EncodeError(f"the {rendition.name} output is unreadable: {exc.reason}") from exc
    expected = {"mp4": "h264", "webm": "vp9"}[rendition.container]
    if info.video_codec != expected:
        raise EncodeError(f"the {rendition.name} output has codec {info.video_codec}, expected {expected}")
    if info.duration < source.duration * TRUNCATED_RATIO - 0.5:
        raise MediaError(f"The file is truncated or damaged: only {info.duration:.1f} s of its "
                         f"{source.duration:.1f} s could be decoded.")
    return info


def encode_group(reporter: Reporter, source_path: Path, source: MediaInfo, renditions: Sequence[Rendition], *,
                 progressive: bool, niceness: int = 0,
                 on_playable: Callable[[], None] | None = None) -> list[dict[str, Any]]:
    """Encode `renditions` as HLS streams in one ffmpeg run, published as they grow; then check each stream
    and, if `progressive` (the plan's choice), publish its progressive file. Returns the files announced.

    ffmpeg's limit follows the probed duration and the work asked for, within what is left of the job's own.
    `on_playable` is called once, when the first segments of this job are published.
    """
    work = work_dir(reporter.content_id, reporter.stage)
    outputs = [(rendition, work / rendition.stream) for rendition in renditions]
    for _, folder in outputs:
        folder.mkdir()
    reporter.progress(0)
    publisher = StreamPublisher(reporter, source, outputs, on_first=on_playable)

    def progress(percent: float) -> None:
        publisher.check()
        publisher.percent = min(percent, 99.0)
        reporter.progress(publisher.percent)

    try:
        cost = sum(r.pixels for r in renditions) / (1920 * 1080 * 2)
        limit = min(ffmpeg_timeout(), float(jobs.job_timeout(source.duration, cost)))
        with publisher:
            run_ffmpeg(encode.command(source_path, source, outputs), duration=source.duration,
                       timeout=limit, on_progress=progress, niceness=niceness)
        publisher.check()
    except EncodeError as exc:
        reason = explain(exc.stderr_tail, "")
        if reason:
            raise MediaError(reason, exc.stderr_tail) from exc
        raise
    publisher.sweep(final=True)
    ordered = sorted(outputs, key=lambda item: item[0].container != "mp4")

    def finish(rendition: Rendition, folder: Path) -> tuple[Path, MediaInfo] | None:
        joined = join_segments(folder, publisher.playlists[rendition.stream], work / f"{rendition.stream}.mp4")
        if not progressive:
            verify(joined, rendition, source)  # the whole stream, as a player gets it
            return None
        # the file holds the stream's very packets: its check is the stream's too (one probe, not two)
        path = work / rendition.name
        run_ffmpeg(encode.progressive_remux(joined, rendition.container, path), duration=source.duration,
                   timeout=max(60.0, source.duration))
        info = verify(path, rendition, source)
        joined.unlink()
        return path, info

    # each stream's check and remux is a short process of its own: side by side they take a third of the time
    with ThreadPoolExecutor(max_workers=min(len(ordered), encode.default_threads())) as pool:
        finished = list(pool.map(lambda output: finish(*output), ordered))
    announced = []
    for (rendition, _), result in zip(ordered, finished, strict=True):
        if result is None:
            continue
        path, info = result
        size = path.stat().st_size
        publish(reporter.content_id, path, rendition.name)
        described = {**rendition.to_dict(), "size": size, "video_codec": info.video_codec,
                     "audio_codec": info.audio_codec, "remuxed": True, "duration": info.duration}
        reporter.event("rendition", rendition=described)
        announced.append(described)
    reporter.progress(100)
    return announced
