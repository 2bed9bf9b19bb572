"""Encoding a group of renditions from one decode as HLS streams, publishing them as they grow, then the
progressive files remuxed from them.

ffmpeg writes each stream into a hidden work folder; `workers.streams` publishes its segments and growing
playlist while it runs, so the item plays after its first segments. When ffmpeg is done every stream must
have ended, the joined segments must probe whole, and (unless `PROGRESSIVE_FILES=off`) each stream is
remuxed into its mp4 or webm file, published only after ffprobe agrees it is whole. A source that decodes
to much less than its declared length is reported as truncated.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rq import get_current_job

from flmnchll import storage
from flmnchll.config import settings
from flmnchll.content import jobs
from flmnchll.media import encode
from flmnchll.media.errors import EncodeError, MediaError, explain, lasting_reason
from flmnchll.media.ladder import Plan, Rendition, downscale_batches
from flmnchll.media.probe import MediaInfo, probe
from flmnchll.media.process import run_ffmpeg
from workers.report import Cancelled, Reporter
from workers.streams import StreamPublisher, join_segments

log = logging.getLogger("workers")

DEFAULT_FFMPEG_TIMEOUT = 6 * 3600
TIMEOUT_MARGIN = 20
TRUNCATED_RATIO = 0.9
OFF = {"0", "off", "false", "no"}


def progressive_files() -> bool:
    """Whether each stream is also remuxed into a progressive mp4/webm (`PROGRESSIVE_FILES`, default on)."""
    return os.environ.get("PROGRESSIVE_FILES", "on").strip().lower() not in OFF


def media_dir(content_id: str) -> Path:
    """The item's local folder: its media on the local backend, only scratch space with S3."""
    return settings().media_dir / content_id


def publish(content_id: str, path: Path, name: str | None = None) -> None:
    """Hand a finished file to the media storage as `<id>/<name>`; it exists whole or not at all."""
    storage.media().move_file(f"{content_id}/{name or path.name}", path)


def work_dir(content_id: str, stage: str) -> Path:
    path = media_dir(content_id) / f".work-{stage}"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True, exist_ok=True)
    return path


def tidy(content_id: str, stage: str) -> None:
    """Drop a job's work folder, and the item's folder too when that leaves it empty (the item was deleted)."""
    folder = media_dir(content_id)
    shutil.rmtree(folder / f".work-{stage}", ignore_errors=True)
    with contextlib.suppress(OSError):
        folder.rmdir()


def run_stage(reporter: Reporter, work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run an encoding job's work with the outcomes every such job shares.

    What a person must fix (the media, or a full disk) marks the item failed at once (the job itself succeeds:
    retrying cannot help); an item deleted or re-processed meanwhile stops quietly; the work folder is always
    removed, so nothing half-written stays behind.
    """
    try:
        return work()
    except Cancelled as exc:
        log.info("content %s: work no longer wanted (%s)", reporter.content_id, exc)
        return {"cancelled": True}
    except (MediaError, OSError) as exc:
        reason = lasting_reason(exc)
        if reason is None:
            raise
        log.info("content %s cannot be processed: %s", reporter.content_id, reason)
        with contextlib.suppress(Cancelled):
            reporter.failed(reason)
        return {"failed": reason}
    finally:
        tidy(reporter.content_id, reporter.stage)


def queue_thumbnails(task: dict[str, Any], smallest: Rendition, duration: float, at_front: bool = False) -> None:
    """Poster and preview sprite are cut from the smallest rendition: it decodes many times faster."""
    jobs.enqueue(jobs.DOWNSCALE, "workers.thumbnails.run",
                 {"content_id": task["content_id"], "generation": task["generation"],
                  "rendition": smallest.to_dict(), "duration": duration},
                 "thumbnails", timeout=jobs.job_timeout(duration, 0.2), at_front=at_front)


def ffmpeg_timeout() -> float:
    """A little less than the RQ job's own limit, so ffmpeg is stopped with a clear message first."""
    job = get_current_job()
    if job is not None and job.timeout and job.timeout > 0:
        return max(30.0, float(job.timeout) - TIMEOUT_MARGIN)
    return float(DEFAULT_FFMPEG_TIMEOUT)


def plan_entries(plan: Plan, progressive: bool) -> list[dict[str, Any]]:
    """The plan as the catalog stores it: which stage makes each rendition and what it weighs for progress
    (roughly its encoding cost: pixels, VP9 about three times H.264), its stream and whether a progressive
    file is made of it."""

    def entry(rendition: Rendition, stage: str) -> dict[str, Any]:
        weight = (3.0 if rendition.container == "webm" else 1.0) * rendition.pixels / 1e5
        return {**rendition.to_dict(), "stream": rendition.stream, "stage": stage, "weight": weight,
                "progressive": progressive}

    entries = [entry(r, "transcode") for r in plan.source]
    for position, batch in enumerate(downscale_batches(plan)):
        entries += [entry(r, downscale_stage(position)) for r in batch]
    return entries


def downscale_stage(position: int) -> str:
    """The stage (and job id suffix) of the n-th downscale batch of a plan."""
    return f"downscale-{position + 1}"


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
    announced = []
    for rendition, folder in sorted(outputs, key=lambda item: item[0].container != "mp4"):
        joined = join_segments(folder, publisher.playlists[rendition.stream], work / f"{rendition.stream}.mp4")
        info = verify(joined, rendition, source)  # the whole stream, as a player gets it
        if not progressive:
            continue
        path = work / rendition.name
        run_ffmpeg(encode.progressive_remux(joined, rendition.container, path), duration=info.duration,
                   timeout=max(60.0, source.duration))
        info = verify(path, rendition, source)
        size = path.stat().st_size
        publish(reporter.content_id, path, rendition.name)
        joined.unlink()
        described = {**rendition.to_dict(), "size": size, "video_codec": info.video_codec,
                     "audio_codec": info.audio_codec, "remuxed": True, "duration": info.duration}
        reporter.event("rendition", rendition=described)
        announced.append(described)
    reporter.progress(100)
    return announced
