"""The one place an item is marked failed: at once for what a person must fix, or when RQ's retries run out.

Both paths end in `mark_failed`, which shows administrators one sentence about the cause. An item deleted or
re-processed meanwhile is left alone.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from rq.job import Job

from flmnchll.media.errors import EncodeError
from workers.report import Cancelled, Reporter

log = logging.getLogger("workers")


def mark_failed(reporter: Reporter, reason: str) -> None:
    """Tell the content manager the item cannot be processed, and why (nothing to do if it is gone)."""
    with contextlib.suppress(Cancelled):
        reporter.event("failed", error=reason)


def reason_for(exc_type: type[BaseException] | None, exc: BaseException | None) -> str:
    """A sentence for administrators about why processing gave up after its retries."""
    name = exc_type.__name__ if exc_type else ""
    if name == "JobTimeoutException":
        return "Processing took longer than the time allowed for a video of this length, even after retries."
    if name == "AbandonedJobError":
        return "The worker processing this video stopped unexpectedly, several times in a row."
    if isinstance(exc, EncodeError):
        return f"Encoding failed after several attempts: {exc}"
    return f"Processing failed after several attempts ({name or 'error'}: {str(exc)[:300]})."


def on_job_failure(job: Job, connection: Any, exc_type: Any = None, exc: Any = None, tb: Any = None) -> None:
    """RQ failure callback: mark the item failed once no retry is left (earlier failures are retried)."""
    if job.retries_left:
        return
    task = job.args[0] if job.args else {}
    if not isinstance(task, dict) or "content_id" not in task:
        return
    try:
        mark_failed(Reporter.for_task(task), reason_for(exc_type, exc))
    except Exception:
        log.exception("could not report the failure of %s", job.id)
