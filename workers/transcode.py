"""Job `transcode` (queue `transcode`): probe and plan an upload, queue the lower rungs, then encode the
source size's H.264 and VP9 streams (and their progressive files).

The lower rungs are queued first and get a head start (`workers.followups`), so the item plays sooner.
"""

from __future__ import annotations

from typing import Any

from flmnchll.media import ladder
from flmnchll.media.probe import probe
from workers import source as sources
from workers.followups import queue_followups, queue_thumbnails, yield_to_first_segments
from workers.plan import plan_entries, progressive_files
from workers.renditions import encode_group
from workers.report import Reporter
from workers.stage import item_fails, run_stage


def run(task: dict[str, Any]) -> dict[str, Any]:
    reporter = Reporter.for_task(task)

    def work() -> dict[str, Any]:
        path = sources.local_path(task["source"])
        info = probe(path)
        plan = ladder.plan(info)
        progressive = progressive_files()  # decided once per plan, for every job of it
        reporter.event("planned", info={"duration": info.duration, "width": info.width, "height": info.height,
                                        "has_audio": info.has_audio}, plan=plan_entries(plan, progressive))
        queue_followups(task, info, plan, progressive)
        if plan.lower:
            yield_to_first_segments(task)
        done = encode_group(reporter, path, info, plan.source, progressive=progressive)
        if not plan.lower:
            queue_thumbnails(task, plan.smallest, info.duration)
        return {"renditions": [r["name"] for r in done]}

    return run_stage(reporter, work, item_fails)
