"""The jobs an item's jobs queue after them, and how the source size waits for the lower rungs' first segments.

`transcode` queues the subtitles and, when the ladder is split (`workers.plan.split_ladder`), the lower rungs
(one `downscale` job a batch, one decode for the batch); the first batch, or `transcode` when there is none,
queues the thumbnails. While a `downscale` worker starts on the first batch, `transcode` waits (bounded) until
that job's first segments are published before starting its own, bigger encode: the lower rungs then have the
whole machine for their first seconds, so the item plays sooner, and afterwards the two workers encode side by
side.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from flmnchll.content import jobs
from flmnchll.media.ladder import Rendition
from flmnchll.media.probe import MediaInfo
from workers.plan import downscale_stage

FIRST_START_GRACE = 3.0  # seconds for an idle downscale worker to pick the lower rungs up
FIRST_SEGMENTS_WAIT = 20.0  # the longest the source size yields to the lower rungs' first segments
DONE_STATUSES = {JobStatus.FINISHED, JobStatus.FAILED, JobStatus.CANCELED, JobStatus.STOPPED}


def queue_followups(task: dict[str, Any], info: MediaInfo, batches: Sequence[Sequence[Rendition]],
                    progressive: bool) -> None:
    """Enqueue the lower rungs' `batches` (a job each, one decode for its batch; the first queues the thumbnails)
    and the subtitles."""
    base = {"content_id": task["content_id"], "generation": task["generation"], "source": task["source"],
            "info": info.to_dict()}
    for position, batch in enumerate(batches):
        cost = sum(r.pixels for r in batch) / (1920 * 1080 * 2)
        jobs.enqueue(jobs.DOWNSCALE, "workers.downscale.run",
                     {**base, "renditions": [r.to_dict() for r in batch], "thumbnails": position == 0,
                      "progressive": progressive},
                     downscale_stage(position), timeout=jobs.job_timeout(info.duration, cost))
    if info.subtitles:
        jobs.enqueue(jobs.DOWNSCALE, "workers.subtitles.run", base, "subtitles",
                     timeout=jobs.job_timeout(info.duration, 0.1))


def queue_thumbnails(task: dict[str, Any], smallest: Rendition, duration: float, at_front: bool = False) -> None:
    """Poster and preview sprite are cut from the smallest rendition: it decodes many times faster."""
    jobs.enqueue(jobs.DOWNSCALE, "workers.thumbnails.run",
                 {"content_id": task["content_id"], "generation": task["generation"],
                  "rendition": smallest.to_dict(), "duration": duration},
                 "thumbnails", timeout=jobs.job_timeout(duration, 0.2), at_front=at_front)


def playable_key(content_id: str, generation: int) -> str:
    """Set by the first downscale job when its first segments are published."""
    return jobs.job_id(content_id, generation, downscale_stage(0)) + ":playable"


def mark_playable(task: dict[str, Any]) -> None:
    jobs.connection().set(playable_key(task["content_id"], int(task["generation"])), "1", ex=24 * 3600)


def yield_to_first_segments(task: dict[str, Any]) -> None:
    """Wait while this item's downscale job runs and has no segment out yet (not while it merely waits in a
    busy queue)."""
    identifier = jobs.job_id(task["content_id"], int(task["generation"]), downscale_stage(0))
    flag = playable_key(task["content_id"], int(task["generation"]))
    start = time.monotonic()
    while time.monotonic() - start < FIRST_SEGMENTS_WAIT and not jobs.connection().exists(flag):
        try:
            status = Job.fetch(identifier, connection=jobs.connection()).get_status(refresh=True)
        except NoSuchJobError:
            return
        if status in DONE_STATUSES:
            return
        if status != JobStatus.STARTED and time.monotonic() - start > FIRST_START_GRACE:
            return
        time.sleep(0.1)
