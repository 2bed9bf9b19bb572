"""Job `transcode` (queue `transcode`): probe and plan an upload, queue the lower rungs, then make the
source-size mp4 and webm (remuxed instead of re-encoded where the source already fits).

Lower rungs are queued before the source size is encoded, lowest first and the lowest on its own, so a
`downscale` worker running alongside makes something playable early while this job does the big encode.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from flmnchll.content import jobs
from flmnchll.media import ladder
from flmnchll.media.errors import MediaError
from flmnchll.media.probe import MediaInfo, probe
from flmnchll.media.process import die_with_parent
from workers import source as sources
from workers.renditions import downscale_stage, encode_group, plan_entries, tidy
from workers.report import Cancelled, Reporter

log = logging.getLogger("workers")

# The source-size encode is the biggest job of an item; at lower CPU priority it soaks up what the lowest
# rung leaves, so the first playable rendition comes sooner and the total time stays the same.
SOURCE_NICENESS = 10


def queue_followups(task: dict[str, Any], info: MediaInfo, plan: ladder.Plan) -> None:
    """Enqueue lower rungs (lowest alone, the rest together: one decode for them), subtitles and thumbnails."""
    base = {"content_id": task["content_id"], "generation": task["generation"], "source": task["source"],
            "info": info.to_dict()}
    for position, batch in enumerate(ladder.downscale_batches(plan)):
        cost = sum(r.pixels for r in batch) / (1920 * 1080 * 2)
        jobs.enqueue(jobs.DOWNSCALE, "workers.downscale.run",
                     {**base, "renditions": [r.to_dict() for r in batch], "thumbnails": position == 0},
                     downscale_stage(position), timeout=jobs.job_timeout(info.duration, cost))
    if info.subtitles:
        jobs.enqueue(jobs.DOWNSCALE, "workers.subtitles.run", base, "subtitles",
                     timeout=jobs.job_timeout(info.duration, 0.1))


def run(task: dict[str, Any]) -> dict[str, Any]:
    die_with_parent()
    reporter = Reporter.for_task(task)
    try:
        path = sources.local_path(task["source"])
        info = probe(path)
        plan = ladder.plan(info)
        reporter.event("planned", info={"duration": info.duration, "width": info.width, "height": info.height,
                                        "has_audio": info.has_audio}, plan=plan_entries(plan))
        queue_followups(task, info, plan)
        done = encode_group(reporter, path, info, plan.source, niceness=SOURCE_NICENESS if plan.lower else 0)
        if not plan.lower:
            smallest = plan.smallest
            jobs.enqueue(jobs.DOWNSCALE, "workers.thumbnails.run",
                         {**{k: task[k] for k in ("content_id", "generation")}, "rendition": smallest.to_dict(),
                          "duration": info.duration}, "thumbnails", timeout=jobs.job_timeout(info.duration, 0.2))
        return {"renditions": [r["name"] for r in done]}
    except MediaError as exc:
        log.info("content %s cannot be processed: %s", reporter.content_id, exc.reason)
        with contextlib.suppress(Cancelled):
            reporter.failed(exc.reason)
        return {"failed": exc.reason}
    except Cancelled as exc:
        log.info("content %s: work no longer wanted (%s)", reporter.content_id, exc)
        return {"cancelled": True}
    finally:
        tidy(reporter.content_id, reporter.stage)
