"""Job `thumbnails` (queue `downscale`): poster, seek-preview sprite and its WebVTT map, cut from the
smallest rendition (already published, read in place locally or fetched from S3), which decodes far faster
than the source; from its HLS stream when no progressive files are made. A missing poster must not fail an
otherwise playable video: the item then simply has no thumbnail.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flmnchll import storage
from flmnchll.media import thumbnails
from flmnchll.media.ladder import Rendition
from flmnchll.media.process import run_ffmpeg
from workers.report import Cancelled, Reporter
from workers.stage import ffmpeg_timeout, item_plays_without, run_stage
from workers.streams import published_stream
from workers.workspace import publish, work_dir

POSTER = "poster.jpg"
SPRITE = "sprite.jpg"
SPRITE_MAP = "sprite.vtt"


def smallest_rendition(content_id: str, rendition: Rendition, folder: Path) -> Path:
    """The rendition as a file ffmpeg reads: its progressive file, else its stream joined into one."""
    try:
        return storage.readable_path(storage.media(), f"{content_id}/{rendition.name}", folder)
    except storage.NotFound:
        try:
            return published_stream(content_id, rendition, folder / "stream.mp4")
        except storage.NotFound as exc:
            raise Cancelled(f"{rendition.name} is gone") from exc


def run(task: dict[str, Any]) -> dict[str, Any]:
    reporter = Reporter.for_task(task)
    rendition = Rendition.from_dict(task["rendition"])
    duration = float(task["duration"])
    layout = thumbnails.sprite_layout(duration, rendition.width, rendition.height)

    def work() -> dict[str, Any]:
        folder = work_dir(reporter.content_id, reporter.stage)
        source = smallest_rendition(reporter.content_id, rendition, folder)
        run_ffmpeg(thumbnails.poster_command(str(source), duration, str(folder / POSTER)), duration=1,
                   timeout=min(300.0, ffmpeg_timeout()))
        run_ffmpeg(thumbnails.sprite_command(str(source), layout, str(folder / SPRITE)), duration=duration,
                   timeout=ffmpeg_timeout(), on_progress=reporter.progress)
        (folder / SPRITE_MAP).write_text(thumbnails.sprite_vtt(layout, duration, SPRITE))
        for name in (POSTER, SPRITE, SPRITE_MAP):
            publish(reporter.content_id, folder / name)
        reporter.event("thumbnail", poster=POSTER,
                       preview={"sprite": SPRITE, "vtt": SPRITE_MAP, **layout.to_dict()})
        return {"poster": POSTER, "sprite": SPRITE}

    return run_stage(reporter, work, item_plays_without)
