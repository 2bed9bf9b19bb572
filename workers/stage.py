"""Running one job's work with the outcomes every job shares; what a failure means is the job's own policy.

Whatever the outcome, the job's work folder is removed, so nothing half-written stays behind. An item deleted
or re-processed meanwhile stops the work quietly; a deleted one also loses whatever the job published after
the delete. A failure the policy does not take is raised, so RQ retries
the job (and, once no retry is left, `workers.failure` marks the item failed).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from rq import get_current_job

from flmnchll import storage
from flmnchll.media.errors import EncodeError, MediaError, lasting_reason
from workers.failure import mark_failed
from workers.report import Cancelled, Reporter
from workers.workspace import tidy

log = logging.getLogger("workers")

DEFAULT_FFMPEG_TIMEOUT = 6 * 3600
TIMEOUT_MARGIN = 20

#: Given the job's reporter and what its work raised: the job's result when the failure is handled, or None
#: to raise it (RQ then retries the job).
FailurePolicy = Callable[[Reporter, Exception], dict[str, Any] | None]


def item_fails(reporter: Reporter, exc: Exception) -> dict[str, Any] | None:
    """For the renditions an item cannot play without: what a person must fix (the media, or a full disk)
    marks the item failed at once, and the job succeeds, since retrying cannot help."""
    reason = lasting_reason(exc)
    if reason is None:
        return None
    log.info("content %s cannot be processed: %s", reporter.content_id, reason)
    mark_failed(reporter, reason)
    return {"failed": reason}


def item_plays_without(reporter: Reporter, exc: Exception) -> dict[str, Any] | None:
    """For extras (thumbnails, subtitles): media or ffmpeg failing on them leaves a playable item without them."""
    if not isinstance(exc, MediaError | EncodeError):
        return None
    log.warning("content %s: %s not made: %s", reporter.content_id, reporter.stage, exc)
    return {"failed": str(exc)}


def run_stage(reporter: Reporter, work: Callable[[], dict[str, Any]], policy: FailurePolicy) -> dict[str, Any]:
    """Run a job's `work`, its failures handled by `policy`, then drop its work folder."""
    try:
        return work()
    except Cancelled as exc:
        log.info("content %s: work no longer wanted (%s)", reporter.content_id, exc)
        if exc.deleted:  # what it published after the item was deleted would outlive the item
            storage.media().delete_prefix(f"{reporter.content_id}/")
        return {"cancelled": True}
    except Exception as exc:
        handled = policy(reporter, exc)
        if handled is None:
            raise
        return handled
    finally:
        tidy(reporter.content_id, reporter.stage)


def ffmpeg_timeout() -> float:
    """A little less than the RQ job's own limit, so ffmpeg is stopped with a clear message first."""
    job = get_current_job()
    if job is not None and job.timeout and job.timeout > 0:
        return max(30.0, float(job.timeout) - TIMEOUT_MARGIN)
    return float(DEFAULT_FFMPEG_TIMEOUT)
