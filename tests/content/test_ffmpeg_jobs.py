"""ffmpeg never outlives its job, and a failed job is tried again: with real ffmpeg, Redis and RQ workers."""

from __future__ import annotations

import secrets
import time
from typing import Any

import pytest
from rq.job import Job, JobStatus

from flmnchll.content import jobs
from flmnchll.media import graph
from flmnchll.media.errors import EncodeError
from flmnchll.media.process import run_ffmpeg
from tests.content.conftest import ffmpeg_pids


def endless(marker: str) -> graph.Command:
    """An input that never ends, paced at real time, and an output tagged so the process can be found."""
    pattern = graph.source("testsrc2=size=160x120:rate=25", {"re": None, "f": "lavfi"})
    return graph.command([graph.output([pattern.stream("v")], "-", {"metadata": f"title={marker}", "f": "null"})])


def test_a_run_past_its_time_limit_is_stopped_with_a_reason() -> None:
    marker = f"limit-{secrets.token_hex(4)}"
    started = time.monotonic()
    with pytest.raises(EncodeError, match="stopped after 2s"):
        run_ffmpeg(endless(marker), duration=60, timeout=2)
    assert time.monotonic() - started < 10
    assert ffmpeg_pids(marker) == []


def test_ffmpeg_dies_with_the_job_that_gives_up_on_it() -> None:
    """RQ's job timeout arrives in the job as an exception: ffmpeg must not keep encoding for nobody."""
    marker = f"abandoned-{secrets.token_hex(4)}"

    def job_time_is_up(percent: float) -> None:
        raise TimeoutError("job time is up")

    with pytest.raises(TimeoutError):
        run_ffmpeg(endless(marker), duration=60, timeout=60, on_progress=job_time_is_up, report_every=0.5)
    assert ffmpeg_pids(marker) == []


def test_job_time_limits_grow_with_the_film_and_its_work() -> None:
    short, long = jobs.job_timeout(60), jobs.job_timeout(2 * 3600)
    assert 60 < short < long and long >= 2 * 3600  # a two-hour film gets at least its own length
    assert jobs.job_timeout(600, cost=2) > jobs.job_timeout(600, cost=1)
    assert jobs.job_timeout(None) == jobs.job_timeout(600)  # unknown length: as for ten minutes


def test_a_failed_job_is_retried_by_the_workers(content_stack: Any) -> None:
    task = {"content_id": f"retry-{secrets.token_hex(4)}", "generation": 1}
    job = jobs.enqueue(jobs.DOWNSCALE, "tests.content.flaky_job.fail_first_attempt", task, "retry", timeout=60)
    assert job is not None
    deadline = time.monotonic() + 60  # the first retry waits jobs.RETRY_INTERVALS[0] seconds
    while (status := job.get_status(refresh=True)) != JobStatus.FINISHED:
        assert time.monotonic() < deadline, f"not retried to success within 60 s (status {status})"
        time.sleep(0.5)
    job = Job.fetch(job.id, connection=jobs.connection())
    assert job.return_value() == {"attempts": 2}
    assert job.retries_left == jobs.RETRIES - 1
