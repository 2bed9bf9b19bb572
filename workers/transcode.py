"""Job `transcode` (queue `transcode`): probe and plan an upload, queue the lower rungs, then make the
source-size mp4 and webm (remuxed instead of re-encoded where the source already fits).

Lower rungs are queued first, the lowest rung's mp4 on its own. While a `downscale` worker is busy with
that one, this job waits (bounded) before starting its big encode: the small file then has the whole
machine and is playable sooner, and afterwards the two workers encode the rest side by side.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from flmnchll.content import jobs
from flmnchll.media import ladder
from flmnchll.media.probe import MediaInfo, probe
from flmnchll.media.process import die_with_parent
from workers import source as sources
from workers.renditions import downscale_stage, encode_group, plan_entries, queue_thumbnails, run_stage
from workers.report import Reporter

log = logging.getLogger("workers")

FIRST_START_GRACE = 3.0  # seconds for an idle downscale worker to pick the first batch up
DONE_STATUSES = {JobStatus.FINISHED, JobStatus.FAILED, JobStatus.CANCELED, JobStatus.STOPPED}


def first_rendition_wait(duration: float) -> float:
    """The longest the source-size encode yields to the first playable rendition: the clip's length (that
    rendition takes a fraction of it), at least half a minute."""
    return max(30.0, duration)


def yield_to_first_rendition(task: dict[str, Any], info: MediaInfo) -> None:
    """Wait while the first downscale batch of this item runs (not while it merely waits in a busy queue)."""
    identifier = jobs.job_id(task["content_id"], int(task["generation"]), downscale_stage(0))
    start = time.monotonic()
    while time.monotonic() - start < first_rendition_wait(info.duration):
        try:
            status = Job.fetch(identifier, connection=jobs.connection()).get_status(refresh=True)
        except NoSuchJobError:
            return
        if status in DONE_STATUSES:
            return
        if status != JobStatus.STARTED and time.monotonic() - start > FIRST_START_GRACE:
            return
        time.sleep(0.2)


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

    def work() -> dict[str, Any]:
        path = sources.local_path(task["source"])
        info = probe(path)
        plan = ladder.plan(info)
        reporter.event("planned", info={"duration": info.duration, "width": info.width, "height": info.height,
                                        "has_audio": info.has_audio}, plan=plan_entries(plan))
        queue_followups(task, info, plan)
        if plan.lower:
            yield_to_first_rendition(task, info)
        done = encode_group(reporter, path, info, plan.source)
        if not plan.lower:
            queue_thumbnails(task, plan.smallest, info.duration)
        return {"renditions": [r["name"] for r in done]}

    return run_stage(reporter, work)
