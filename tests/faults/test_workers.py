"""A worker killed mid-job (SIGKILL, as the OOM killer does) delays its film by seconds and loses nothing.

The job's ffmpeg dies with the worker, RQ's own recovery runs the job again on the restarted worker, and the
film is ready within half a minute of its undisturbed time with every rendition whole. A job that keeps
killing its worker ends, after its retries, failed where operators look: the item's status and message, RQ's
FailedJobRegistry and `rq info`.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import time
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue, Retry
from rq.job import Callback, Job, JobStatus
from rq.registry import FailedJobRegistry

from flmnchll.content import catalog, jobs
from tests.conftest import Stack
from tests.content.conftest import Uploads, ffmpeg_pids, item, wait_for
from tests.content.renditions import check_rendition
from tests.faults.conftest import library, processed, rq_url, upload
from tests.faults.figures import report

pytestmark = pytest.mark.faults

#: how much later than undisturbed a film whose worker was killed may become ready
DELAY_ALLOWED = 30.0


@pytest.fixture(scope="module")
def undisturbed_seconds(faults: Stack, uploads: Uploads, admin_token: str, clip: Path) -> float:
    """How long the test clip takes from upload to ready when nothing goes wrong, on this machine, now."""
    return processed(faults, uploads, admin_token, clip, "faults: undisturbed")[1]


def stage_ffmpeg(media: Path, stage: str) -> list[int]:
    """ffmpeg processes writing into the item's work folder of `stage`."""
    return ffmpeg_pids(f"{media}/.work-{stage}")


def wait_for_ffmpeg(media: Path, stage: str, timeout: float) -> float:
    deadline = time.monotonic() + timeout
    while not stage_ffmpeg(media, stage):
        assert time.monotonic() < deadline, f"no ffmpeg for {stage} within {timeout:.0f}s"
        time.sleep(0.05)
    return time.monotonic()


@pytest.mark.parametrize("program, stage", [("worker-transcode-0", "transcode"),
                                            ("worker-downscale-0", "downscale-1")])
def test_killed_worker_delays_its_film_by_seconds(faults: Stack, uploads: Uploads, admin_token: str, clip: Path,
                                                  undisturbed_seconds: float, program: str, stage: str,
                                                  tmp_path: Path) -> None:
    content_id, uploaded = upload(faults, uploads, admin_token, clip, f"faults: {program} killed")
    media = faults.instance.data_dir / "media" / content_id
    wait_for_ffmpeg(media, stage, timeout=60)
    worker = faults.component_pid(program)
    os.kill(worker, signal.SIGKILL)
    killed = time.monotonic()

    faults.wait_until(lambda: not stage_ffmpeg(media, stage), timeout=5)
    rerun = wait_for_ffmpeg(media, stage, timeout=DELAY_ALLOWED)
    ready = wait_for(faults, admin_token, content_id, timeout=undisturbed_seconds + DELAY_ALLOWED + 30)
    done = time.monotonic()
    report(f"{program} killed", rerun_after_kill_s=round(rerun - killed, 1), ready_after_kill_s=round(done - killed, 1),
           total_s=round(done - uploaded, 1), undisturbed_s=round(undisturbed_seconds, 1))
    assert ready["status"] == "ready", ready
    assert done - uploaded <= undisturbed_seconds + DELAY_ALLOWED
    assert faults.component_pid(program) not in (0, worker)
    faults.wait_until(lambda: not ffmpeg_pids(str(media)), timeout=20)  # the thumbnails may still be cut
    assert sorted(r["name"] for r in ready["renditions"]) == ["480p.mp4", "480p.webm", "720p.mp4", "720p.webm"]
    for rendition in ready["renditions"]:
        check_rendition(faults, rendition, {"duration": 4.0, "audio": True}, tmp_path)
    assert not [p.name for p in media.iterdir() if p.name.startswith(".work-")], "a work folder was left behind"


def failed_count(stack: Stack, queue: str) -> int:
    """The failed jobs of `queue` as operators see them in `rq info`."""
    shown = subprocess.run([str(Path(stack.instance.python).parent / "rq"), "info", "--url", rq_url(stack)],
                           capture_output=True, text=True, check=True, timeout=30).stdout
    found = re.search(rf"^{queue}\s+\|.*?(\d+) failed", shown, re.MULTILINE)
    assert found, shown
    return int(found.group(1))


def test_job_that_keeps_killing_its_worker_fails_where_operators_look(faults: Stack, admin_token: str) -> None:
    connection = Redis.from_url(rq_url(faults))
    before = failed_count(faults, jobs.DOWNSCALE)
    with library(faults):
        created, _ = catalog.create(f"faults-{secrets.token_hex(6)}", {"kind": "upload", "id": "missing"},
                                    title="faults: keeps crashing its worker")
    task = {"content_id": created["_id"], "generation": 1, "stage": "crash"}
    job = Queue(jobs.DOWNSCALE, connection=connection).enqueue(
        "tests.faults.dying_job.kill_my_worker", task, retry=Retry(max=1, interval=1), job_timeout=120,
        on_failure=Callback(jobs.FAILURE_CALLBACK))
    started = time.monotonic()

    failed = wait_for(faults, admin_token, created["_id"], statuses=("failed",), timeout=90)
    report("job killing its worker twice", failed_after_s=round(time.monotonic() - started, 1))
    assert "stopped unexpectedly" in failed["error"], failed
    # the item is marked failed by the job's failure callback, just before RQ moves the job to its registry
    faults.wait_until(lambda: Job.fetch(job.id, connection=connection).get_status(refresh=True) == JobStatus.FAILED,
                      timeout=15)
    assert job.id in FailedJobRegistry(jobs.DOWNSCALE, connection=connection).get_job_ids()
    assert failed_count(faults, jobs.DOWNSCALE) >= before + 1  # other tests' jobs may fail meanwhile
    assert item(faults, admin_token, created["_id"])["status"] == "failed"
