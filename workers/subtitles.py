"""Job `subtitles` (queue `downscale`): text subtitle tracks of the source, extracted to WebVTT in one pass.

Files are named `sub-<lang>.vtt` (`sub-<lang>-<n>.vtt` for a second track of a language); tracks an
administrator uploaded for a language take precedence over extracted ones (the content manager keeps them).
"""

from __future__ import annotations

import logging
from typing import Any

from flmnchll.media.errors import EncodeError, MediaError
from flmnchll.media.probe import MediaInfo
from flmnchll.media.process import die_with_parent, run_ffmpeg
from flmnchll.media.subtitles import extract_args, language
from workers import source as sources
from workers.renditions import ffmpeg_timeout, publish, tidy, work_dir
from workers.report import Cancelled, Reporter

log = logging.getLogger("workers")


def run(task: dict[str, Any]) -> dict[str, Any]:
    die_with_parent()
    reporter = Reporter.for_task(task)
    info = MediaInfo.from_dict(task["info"])
    work = work_dir(reporter.content_id, reporter.stage)
    try:
        path = sources.local_path(task["source"])
        tracks: list[dict[str, str]] = []
        outputs: list[tuple[int, str]] = []
        seen: dict[str, int] = {}
        for track in info.subtitles:
            lang, label = language(track.lang)
            seen[lang] = seen.get(lang, 0) + 1
            name = f"sub-{lang}.vtt" if seen[lang] == 1 else f"sub-{lang}-{seen[lang]}.vtt"
            outputs.append((track.index, str(work / name)))
            label = track.title or label
            tracks.append({"lang": lang if seen[lang] == 1 else f"{lang}-{seen[lang]}", "label": label, "file": name})
        if not outputs:
            return {"tracks": []}
        run_ffmpeg(extract_args(str(path), outputs), duration=info.duration, timeout=ffmpeg_timeout(),
                   on_progress=reporter.progress)
        for made in tracks:
            publish(reporter.content_id, work / made["file"])
        reporter.event("subtitles", tracks=tracks)
        return {"tracks": [t["file"] for t in tracks]}
    except (MediaError, EncodeError) as exc:
        log.warning("subtitles of %s could not be extracted: %s", reporter.content_id, exc)
        return {"failed": str(exc)}
    except Cancelled:
        return {"cancelled": True}
    finally:
        tidy(reporter.content_id, reporter.stage)
