"""A job for the workers that fails on its first attempt only: shows RQ's retries (with the scheduler) work."""

from __future__ import annotations

from typing import Any

from flmnchll.content import jobs


def fail_first_attempt(task: dict[str, Any]) -> dict[str, int]:
    attempts = int(jobs.connection().incr(f"flaky-job:{task['content_id']}:attempts"))
    if attempts == 1:
        raise RuntimeError("the first attempt fails on purpose")
    return {"attempts": attempts}
