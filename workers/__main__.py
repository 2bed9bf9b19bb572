"""`python -m workers QUEUE [--name NAME]`: one RQ worker for the `transcode` or `downscale` queue.

The worker runs RQ's scheduler too, so retries with a delay (RQ `Retry(interval=...)`) come back on time.
Its name is stable across restarts (supervisord's program name, or `--name`), which makes recovery exact:
at start, any job still marked as started by a worker of this name was abandoned by our previous life
(SIGKILL, OOM, power cut) and is put back on its queue; so are started jobs of workers that no longer
exist. The work horse dies with the worker (PR_SET_PDEATHSIG), and ffmpeg with the horse.
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import sys
from typing import Any

from redis import Redis
from rq import Queue, Worker
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.registry import StartedJobRegistry
from rq.utils import parse_composite_key

from flmnchll.content import jobs
from flmnchll.media import ffmpeg
from flmnchll.media.process import die_with_parent

log = logging.getLogger("workers")


class ContentWorker(Worker):
    """A forking RQ worker whose work horse cannot outlive it."""

    def main_work_horse(self, job: Job, queue: Queue) -> None:  # type: ignore[override]
        die_with_parent()
        super().main_work_horse(job, queue)


def default_name(queue: str) -> str:
    program = os.environ.get("SUPERVISOR_PROCESS_NAME")
    instance = os.environ.get("FLMNCHLL_INSTANCE", "dev")
    if program:
        return f"{program}.{instance}@{socket.gethostname()}"
    return f"{queue}-{os.getpid()}.{instance}@{socket.gethostname()}"


def worker_alive(connection: Redis, name: str) -> bool:
    key = f"{Worker.redis_worker_namespace_prefix}{name}"
    return bool(connection.exists(key)) and not connection.hexists(key, "death")


def recover(connection: Redis, queue_names: list[str], name: str) -> list[str]:
    """Requeue jobs left started by a dead worker (our previous life, or one that vanished)."""
    recovered = []
    for queue_name in queue_names:
        queue = Queue(queue_name, connection=connection)
        registry = StartedJobRegistry(queue=queue)
        for entry in connection.zrange(registry.key, 0, -1):
            raw = entry.decode() if isinstance(entry, bytes) else str(entry)
            job_id, _ = parse_composite_key(raw) if ":" in raw else (raw, None)
            try:
                job = Job.fetch(job_id, connection=connection)
            except NoSuchJobError:
                connection.zrem(registry.key, entry)
                continue
            owner = job.worker_name or ""
            if owner and owner != name and worker_alive(connection, owner):
                continue
            connection.zrem(registry.key, entry)
            requeue(queue, job, owner)
            recovered.append(job.id)
    return recovered


def requeue(queue: Queue, job: Job, owner: str) -> None:
    """Retry an abandoned job (counting it as an attempt); fail it through its callback when none is left."""
    with queue.connection.pipeline() as pipeline:
        if job.retries_left:
            job.retry(queue, pipeline)
            pipeline.execute()
            log.warning("requeued job %s abandoned by %s (%s retries left)", job.id, owner or "?", job.retries_left)
            return
    from rq.exceptions import AbandonedJobError

    job.execute_failure_callback(Worker.death_penalty_class, AbandonedJobError, AbandonedJobError(), None)
    job.set_status(JobStatus.FAILED)
    log.warning("job %s abandoned by %s has no retries left; marked failed", job.id, owner or "?")


def clear_stale_registration(connection: Redis, name: str) -> None:
    """Our previous life may still be registered (SIGKILL skips clean-up); RQ refuses a live duplicate name."""
    key = f"{Worker.redis_worker_namespace_prefix}{name}"
    old: Any = Worker.find_by_key(key, connection=connection)
    if old is not None:
        old.register_death()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workers", description=__doc__.splitlines()[0])
    parser.add_argument("queue", choices=jobs.QUEUES, help="which queue this worker serves")
    parser.add_argument("--name", help="stable worker name (default: supervisord program name)")
    parser.add_argument("--burst", action="store_true", help="exit when the queue is empty (tests, benchmarks)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stdout,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        log.info("encoding with %s", ffmpeg.binary())  # verified once here; every job inherits the result
    except ffmpeg.FFmpegMissing as exc:
        log.error("%s", exc)
        return 1
    connection = jobs.connection()
    name = args.name or default_name(args.queue)
    clear_stale_registration(connection, name)
    recovered = recover(connection, [args.queue], name)
    if recovered:
        log.warning("recovered %d abandoned job(s): %s", len(recovered), ", ".join(recovered))
    worker = ContentWorker([Queue(args.queue, connection=connection)], connection=connection, name=name)
    worker.work(with_scheduler=True, burst=args.burst, logging_level="INFO")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
