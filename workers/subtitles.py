"""Job `subtitles` (queue `downscale`): text subtitle tracks of the source, extracted to WebVTT in one pass.

Files are named `sub-<lang>.vtt` (`sub-<lang>-<n>.vtt` for a second track of a language); tracks an
administrator uploaded for a language take precedence over extracted ones (the content manager keeps them).
An item whose tracks cannot be extracted plays without them.
"""

from __future__ import annotations

from typing import Any

from flmnchll.media.probe import MediaInfo
from flmnchll.media.process import run_ffmpeg
from flmnchll.media.subtitle_extraction import extract_command
from flmnchll.media.subtitles import language
from workers import source as sources
from workers.report import Reporter
from workers.stage import ffmpeg_timeout, item_plays_without, run_stage
from workers.workspace import publish, work_dir


def run(task: dict[str, Any]) -> dict[str, Any]:
    reporter = Reporter.for_task(task)
    info = MediaInfo.from_dict(task["info"])

    def work() -> dict[str, Any]:
        folder = work_dir(reporter.content_id, reporter.stage)
        path = sources.local_path(task["source"])
        tracks: list[dict[str, str]] = []
        outputs: list[tuple[int, str]] = []
        seen: dict[str, int] = {}
        for track in info.subtitles:
            lang, label = language(track.lang)
            seen[lang] = seen.get(lang, 0) + 1
            name = f"sub-{lang}.vtt" if seen[lang] == 1 else f"sub-{lang}-{seen[lang]}.vtt"
            outputs.append((track.index, str(folder / name)))
            label = track.title or label
            tracks.append({"lang": lang if seen[lang] == 1 else f"{lang}-{seen[lang]}", "label": label, "file": name})
        if not outputs:
            return {"tracks": []}
        run_ffmpeg(extract_command(str(path), outputs), duration=info.duration, timeout=ffmpeg_timeout(),
                   on_progress=reporter.progress)
        for written in tracks:
            publish(reporter.content_id, folder / written["file"])
        reporter.event("subtitles", tracks=tracks)
        return {"tracks": [t["file"] for t in tracks]}

    return run_stage(reporter, work, item_plays_without)
