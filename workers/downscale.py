"""Job `downscale` (queue `downscale`): the lower rungs of an item, all from one decode of the source.

The planning job decides the batches; the first batch (the lowest rung) also queues the thumbnails, which
are cut from the smallest rendition rather than the source because it decodes many times faster.
"""

from __future__ import annotations

from typing import Any

from flmnchll.media import ladder
from flmnchll.media.ladder import Rendition
from flmnchll.media.probe import MediaInfo
from flmnchll.media.process import die_with_parent
from workers import source as sources
from workers.renditions import encode_group, queue_thumbnails, run_stage
from workers.report import Reporter


def run(task: dict[str, Any]) -> dict[str, Any]:
    die_with_parent()
    reporter = Reporter.for_task(task)
    info = MediaInfo.from_dict(task["info"])
    renditions = [Rendition.from_dict(r) for r in task["renditions"]]

    def work() -> dict[str, Any]:
        path = sources.local_path(task["source"])
        done = encode_group(reporter, path, info, renditions)
        if task.get("thumbnails"):
            queue_thumbnails(task, ladder.smallest(renditions), info.duration, at_front=True)
        return {"renditions": [r["name"] for r in done]}

    return run_stage(reporter, work)
