"""Job `thumbnails` (queue `downscale`): poster, seek-preview sprite and its WebVTT map, cut from the
smallest rendition (already published), which decodes far faster than the source.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from flmnchll.media import thumbnails
from flmnchll.media.errors import EncodeError
from flmnchll.media.ladder import Rendition
from flmnchll.media.process import die_with_parent, run_ffmpeg
from workers.renditions import ffmpeg_timeout, media_dir, tidy, work_dir
from workers.report import Cancelled, Reporter

log = logging.getLogger("workers")

POSTER = "poster.jpg"
SPRITE = "sprite.jpg"
SPRITE_MAP = "sprite.vtt"


def run(task: dict[str, Any]) -> dict[str, Any]:
    die_with_parent()
    reporter = Reporter.for_task(task)
    rendition = Rendition.from_dict(task["rendition"])
    duration = float(task["duration"])
    folder = media_dir(reporter.content_id)
    source = folder / rendition.name
    work = work_dir(reporter.content_id, reporter.stage)
    layout = thumbnails.sprite_layout(duration, rendition.width, rendition.height)
    try:
        if not source.is_file():
            raise Cancelled(f"{source.name} is gone")
        run_ffmpeg(thumbnails.poster_args(str(source), duration, str(work / POSTER)), duration=1,
                   timeout=min(300.0, ffmpeg_timeout()))
        run_ffmpeg(thumbnails.sprite_args(str(source), layout, str(work / SPRITE)), duration=duration,
                   timeout=ffmpeg_timeout(), on_progress=reporter.progress)
        (work / SPRITE_MAP).write_text(thumbnails.sprite_vtt(layout, duration, SPRITE))
        for name in (POSTER, SPRITE, SPRITE_MAP):
            os.replace(work / name, folder / name)
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
