"""Job `transcode` (queue `transcode`): probe and plan an upload, then encode its H.264 and VP9 streams (and
their progressive files): the whole ladder in one pass; or, when the ladder is split
(`workers.plan`), the source size only, the lower rungs going to `downscale` jobs queued first and given a head
start (`workers.followups`).
"""

from __future__ import annotations

from typing import Any

from flmnchll.media import ladder
from flmnchll.media.probe import probe
from workers import source as sources
from workers.followups import queue_followups, queue_thumbnails, yield_to_first_segments
from workers.plan import plan_entries, progressive_files, shares, split_ladder
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
        shared = shares(plan, split_ladder())
        reporter.event("planned", info={"duration": info.duration, "width": info.width, "height": info.height,
                                        "has_audio": info.has_audio}, plan=plan_entries(shared, progressive))
        queue_followups(task, info, shared.batches, progressive)
        if shared.batches:
            yield_to_first_segments(task)
        done = encode_group(reporter, path, info, shared.transcode, progressive=progressive)
        if not shared.batches:
            queue_thumbnails(task, plan.smallest, info.duration)
        return {"renditions": [r["name"] for r in done]}

    return run_stage(reporter, work, item_fails)
