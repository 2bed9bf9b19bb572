"""`python -m workers QUEUE [--name NAME]`: one RQ worker for the `transcode` or `downscale` queue.

A job whose worker dies (SIGKILL, OOM, power cut) runs again within seconds, by RQ's own recovery with
shorter clocks than RQ's defaults (which add up to more than ten minutes):
- the worker refreshes its job's entry in the StartedJobRegistry every `JOB_MONITORING_INTERVAL` seconds, and
  the entry lapses `HEARTBEAT_GRACE` seconds after the refresh is due (RQ's default: 60);
- every worker runs RQ's maintenance every `MAINTENANCE_INTERVAL` seconds (RQ's default: 600), whose
  StartedJobRegistry cleanup hands a lapsed job to its `Retry`, or, with no retry left, to its failure callback
  and the FailedJobRegistry (so `rq info` shows it);
- a retry with a delay waits for a scheduler; maintenance also takes over the scheduler lock of a dead worker
  instead of waiting for the lock's own minute-long expiry.
The work horse and the scheduler die with the worker (PR_SET_PDEATHSIG), and ffmpeg with the horse. The worker's
name is stable across restarts (supervisord's program name, or `--name`).
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
from rq.job import Job
from rq.scheduler import RQScheduler

from flmnchll.content import jobs
from flmnchll.media import ffmpeg
from flmnchll.media.process import die_with_parent

log = logging.getLogger("workers")

JOB_MONITORING_INTERVAL = 3
#: three missed heartbeats: long enough for a busy machine, short enough to retry a dead worker's job soon
HEARTBEAT_GRACE = 9
MAINTENANCE_INTERVAL = 3
#: RQ blocks on the queue for `worker_ttl - 15` seconds between maintenance checks: 3 s here
WORKER_TTL = 18

_RELEASE_IF_HELD_BY = ("if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) "
                       "else return 0 end")


class ContentWorker(Worker):
    """RQ's forking worker, telling a dead worker's job from a live one in seconds rather than minutes."""

    def get_heartbeat_ttl(self, job: Job) -> int:
        """How long a job's StartedJobRegistry entry lives after each heartbeat: a few missed heartbeats."""
        return self.job_monitoring_interval + HEARTBEAT_GRACE

    def run_maintenance_tasks(self) -> None:
        release_dead_scheduler_locks(self.connection, self.queue_names())
        super().run_maintenance_tasks()


def quiet_maintenance(record: logging.LogRecord) -> bool:
    """RQ logs each maintenance round; every few seconds that would bury the jobs' own lines."""
    return "cleaning registries" not in record.getMessage()


def release_dead_scheduler_locks(connection: Redis, queue_names: list[str]) -> list[str]:
    """Free the scheduler locks held by workers that are no longer alive; returns the queues freed.

    RQ's lock holds the pid of the worker that took it (a worker takes it for its scheduler process, and
    ours serve one queue each, so the scheduler never takes it itself); a lock whose pid is no live worker's
    of that queue belongs to a dead worker, whose scheduler died with it.
    """
    freed = []
    for name in queue_names:
        key = RQScheduler.get_locking_key(name)
        holder = connection.get(key)
        if holder is None:
            continue
        queue = Queue(name, connection=connection)
        alive = {str(worker.pid) for worker in Worker.all(queue=queue) if worker.death_date is None}
        pid = holder.decode() if isinstance(holder, bytes) else str(holder)
        if pid not in alive and connection.eval(_RELEASE_IF_HELD_BY, 1, key, pid):
            log.warning("released the %s scheduler lock of dead worker pid %s", name, pid)
            freed.append(name)
    return freed


def default_name(queue: str) -> str:
    program = os.environ.get("SUPERVISOR_PROCESS_NAME")
    instance = os.environ.get("FLMNCHLL_INSTANCE", "dev")
    if program:
        return f"{program}.{instance}@{socket.gethostname()}"
    return f"{queue}-{os.getpid()}.{instance}@{socket.gethostname()}"


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
    logging.getLogger("rq.worker").addFilter(quiet_maintenance)
    os.register_at_fork(after_in_child=die_with_parent)  # the work horse and the scheduler process
    connection = jobs.connection()
    name = args.name or default_name(args.queue)
    clear_stale_registration(connection, name)
    worker = ContentWorker([Queue(args.queue, connection=connection)], connection=connection, name=name,
                           worker_ttl=WORKER_TTL, job_monitoring_interval=JOB_MONITORING_INTERVAL,
                           maintenance_interval=MAINTENANCE_INTERVAL)
    worker.work(with_scheduler=True, burst=args.burst, logging_level="INFO")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
