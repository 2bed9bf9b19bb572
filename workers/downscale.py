"""Job `downscale` (queue `downscale`): the lower rungs of an item, all from one decode of the source, each
an HLS stream published as it grows (the item is playable after their first segments), then their
progressive files.

Its first published segments let the waiting source-size job start; at the end it queues the thumbnails,
which are cut from the smallest rendition rather than the source because it decodes many times faster.
"""

from __future__ import annotations

from typing import Any

from flmnchll.media import ladder
from flmnchll.media.ladder import Rendition
from flmnchll.media.probe import MediaInfo
from workers import source as sources
from workers.followups import mark_playable, queue_thumbnails
from workers.renditions import encode_group
from workers.report import Reporter
from workers.stage import item_fails, run_stage


def run(task: dict[str, Any]) -> dict[str, Any]:
    reporter = Reporter.for_task(task)
    info = MediaInfo.from_dict(task["info"])
    renditions = [Rendition.from_dict(r) for r in task["renditions"]]

    def work() -> dict[str, Any]:
        path = sources.local_path(task["source"])
        done = encode_group(reporter, path, info, renditions, progressive=bool(task.get("progressive", True)),
                            on_playable=lambda: mark_playable(task))
        if task.get("thumbnails"):
            queue_thumbnails(task, ladder.smallest(renditions), info.duration, at_front=True)
        return {"renditions": [r["name"] for r in done]}

    return run_stage(reporter, work, item_fails)
