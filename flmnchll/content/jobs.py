"""Putting work on the RQ queues: `transcode` (source-size renditions) and `downscale` (lower rungs and extras).

Job ids are derived from the item, its generation and the stage, so enqueueing the same stage twice (a hook
delivered twice, a retried transcode job re-planning) never runs the work twice. Jobs are referenced by
import path so the functions that enqueue them need none of the workers' code.
"""

from __future__ import annotations

from typing import Any

import redis
from rq import Queue, Retry
from rq.exceptions import NoSuchJobError
from rq.job import Callback, Job, JobStatus

from flmnchll.stores import rq_connection

TRANSCODE = "transcode"
DOWNSCALE = "downscale"
QUEUES = (TRANSCODE, DOWNSCALE)
RETRIES = 3
RETRY_INTERVALS = [2, 20, 60]  # seconds before each retry: the first one soon, as a killed worker's job needs
FAILURE_CALLBACK = "workers.failure.on_job_failure"
LIVE_STATUSES = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED, JobStatus.SCHEDULED,
                 JobStatus.FINISHED}

def connection() -> redis.Redis:
    """RQ's connection to the application's Redis."""
    return rq_connection()


def queue(name: str) -> Queue:
    return Queue(name, connection=connection())


def job_timeout(duration: float | None, cost: float = 1.0) -> int:
    """Seconds a job may run: a floor for start-up, plus the clip length times a slack factor per unit of cost.

    `cost` is the job's encoding work relative to one 1080p mp4+webm pair; a 2-core machine encodes that at
    about real time, so 6x leaves room for a busy machine without letting a stuck job sit for hours.
    """
    seconds = float(duration or 0) or 600.0
    return int(180 + seconds * 6 * max(0.1, cost))


def duration_bound(size: int | None) -> float | None:
    """The longest a file of `size` bytes can play at 0.5 Mb/s or more: a safe duration before probing."""
    return min(24 * 3600.0, size * 8 / 500_000) if size else None


def job_id(content_id: str, generation: int, stage: str) -> str:
    return f"content-{content_id}-g{generation}-{stage}"


def enqueue(queue_name: str, function: str, task: dict[str, Any], stage: str, *, timeout: int,
            at_front: bool = False) -> Job | None:
    """Enqueue `function(task)` once per (item, generation, stage); None when it is already live or done.

    A Redis guard key makes concurrent callers (tusd's pre-finish and post-finish hooks arriving together)
    agree on a single enqueue; RQ itself would run a job id pushed twice twice.
    """
    identifier = job_id(task["content_id"], int(task["generation"]), stage)
    if not connection().set(f"{identifier}:enqueued", "1", nx=True, ex=7 * 24 * 3600):
        return None
    try:
        existing = Job.fetch(identifier, connection=connection())
        if existing.get_status(refresh=True) in LIVE_STATUSES:
            return None
    except NoSuchJobError:
        pass
    try:
        return queue(queue_name).enqueue(
            function, {**task, "stage": stage}, job_id=identifier, job_timeout=timeout,
            retry=Retry(max=RETRIES, interval=RETRY_INTERVALS), on_failure=Callback(FAILURE_CALLBACK),
            result_ttl=24 * 3600, failure_ttl=7 * 24 * 3600, at_front=at_front,
            description=f"{function.rsplit('.', 2)[-2]} {task['content_id']} ({stage})",
        )
    except Exception:
        connection().delete(f"{identifier}:enqueued")  # let the next delivery try again
        raise


def start_processing(item: dict[str, Any]) -> Job | None:
    """The first job of an item's pipeline: probe, plan, then encode the source size (it enqueues the rest)."""
    task = {"content_id": item["_id"], "generation": int(item.get("generation") or 1), "source": item["source"]}
    expected = item.get("duration") or duration_bound(item.get("size"))
    return enqueue(TRANSCODE, "workers.transcode.run", task, "transcode", timeout=job_timeout(expected, 1.5))


def cancel_all(content_id: str, generation: int) -> None:
    """Best effort: drop queued jobs of an item's generation (running ones notice on their next report)."""
    for stage_prefix in ("transcode", "downscale", "thumbnails", "subtitles"):
        for queue_name in QUEUES:
            for job_key in queue(queue_name).get_job_ids():
                if job_key.startswith(job_id(content_id, generation, stage_prefix)):
                    try:
                        Job.fetch(job_key, connection=connection()).cancel()
                    except NoSuchJobError:
                        continue
