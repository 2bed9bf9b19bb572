"""Job `thumbnails` (queue `downscale`): poster, seek-preview sprite and its WebVTT map, cut from the
smallest rendition (already published, read in place locally or fetched from S3), which decodes far faster
than the source; from its HLS stream when no progressive files are made.
"""

from __future__ import annotations

import logging
from typing import Any

from flmnchll import storage
from flmnchll.media import thumbnails
from flmnchll.media.errors import EncodeError
from flmnchll.media.ladder import Rendition
from flmnchll.media.process import die_with_parent, run_ffmpeg
from workers.renditions import ffmpeg_timeout, publish, tidy, work_dir
from workers.report import Cancelled, Reporter
from workers.streams import published_stream

log = logging.getLogger("workers")

POSTER = "poster.jpg"
SPRITE = "sprite.jpg"
SPRITE_MAP = "sprite.vtt"


def run(task: dict[str, Any]) -> dict[str, Any]:
    die_with_parent()
    reporter = Reporter.for_task(task)
    rendition = Rendition.from_dict(task["rendition"])
    duration = float(task["duration"])
    work = work_dir(reporter.content_id, reporter.stage)
    layout = thumbnails.sprite_layout(duration, rendition.width, rendition.height)
    try:
        try:
            source = storage.readable_path(storage.media(), f"{reporter.content_id}/{rendition.name}", work)
        except storage.NotFound:
            try:
                source = published_stream(reporter.content_id, rendition, work / "stream.mp4")
            except storage.NotFound as exc:
                raise Cancelled(f"{rendition.name} is gone") from exc
        run_ffmpeg(thumbnails.poster_command(str(source), duration, str(work / POSTER)), duration=1,
                   timeout=min(300.0, ffmpeg_timeout()))
        run_ffmpeg(thumbnails.sprite_command(str(source), layout, str(work / SPRITE)), duration=duration,
                   timeout=ffmpeg_timeout(), on_progress=reporter.progress)
        (work / SPRITE_MAP).write_text(thumbnails.sprite_vtt(layout, duration, SPRITE))
        for name in (POSTER, SPRITE, SPRITE_MAP):
            publish(reporter.content_id, work / name)
        reporter.event("thumbnail", poster=POSTER,
                       preview={"sprite": SPRITE, "vtt": SPRITE_MAP, **layout.to_dict()})
        return {"poster": POSTER, "sprite": SPRITE}
    except EncodeError as exc:
        # A missing poster must not fail an otherwise playable video; the item simply has no thumbnail.
        log.warning("thumbnails of %s failed: %s", reporter.content_id, exc)
        return {"failed": str(exc)}
    except Cancelled:
        return {"cancelled": True}
    finally:
        tidy(reporter.content_id, reporter.stage)
