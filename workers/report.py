"""How a job tells the content manager what happened: events over HTTP, percent done in Redis.

Events go to the `content` function (`POST /function/content/ID/events`, service key) so that one place
owns the catalog. Percent-done goes straight to Redis: it is written every second and only read for display.
A 404/409/410 answer means the item was deleted or re-processed since the job was queued: the job stops.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import requests
from tenacity import RetryCallState, retry, retry_if_exception_type, stop_after_attempt, wait_exponential

from flmnchll.config import settings
from flmnchll.content import progress as progress_store
from flmnchll.outages import REDIS_ERRORS
from flmnchll.service_calls import caller_headers

log = logging.getLogger("workers")

#: An event is sent at most this many times, waiting 0.5, 1, 2 then 4 s between tries.
ATTEMPTS = 5
STOP_STATUSES = {404, 409, 410}


class Cancelled(Exception):
    """The item is gone or belongs to a newer run; the job's work is no longer wanted."""

    def __init__(self, reason: str, *, deleted: bool = False) -> None:
        super().__init__(reason)
        #: the item itself is gone (not merely re-processed): nothing of this job's may stay in its place
        self.deleted = deleted


class ContentManagerUnavailable(RuntimeError):
    """A 5xx answer: the content manager may be restarting, so the event is sent again."""


def _log_retry(state: RetryCallState) -> None:
    url, body = state.args
    error = state.outcome.exception() if state.outcome else None
    wait = state.next_action.sleep if state.next_action else 0.0
    log.warning("event %s to %s failed (%s); retrying in %.1f s", body["kind"], url, error, wait)


@retry(stop=stop_after_attempt(ATTEMPTS), wait=wait_exponential(multiplier=0.5, max=8),
       retry=retry_if_exception_type((requests.RequestException, ContentManagerUnavailable)),
       before_sleep=_log_retry, reraise=True)
def post_event(url: str, body: dict[str, Any]) -> dict[str, Any]:
    """One event, sent again after a network error or a 5xx; any other refusal ends the job's report."""
    response = requests.post(url, json=body, headers=caller_headers(), timeout=15)
    if response.status_code < 300:
        answer: dict[str, Any] = response.json() if response.content else {}
        return answer
    if response.status_code in STOP_STATUSES:
        raise Cancelled(f"{response.status_code} {response.text[:200]}", deleted=response.status_code in (404, 410))
    refusal = f"content manager refused {body['kind']}: {response.status_code} {response.text[:300]}"
    if response.status_code >= 500:
        raise ContentManagerUnavailable(refusal)
    raise RuntimeError(refusal)


@dataclass
class Reporter:
    content_id: str
    generation: int
    stage: str

    @classmethod
    def for_task(cls, task: dict[str, Any]) -> Reporter:
        return cls(str(task["content_id"]), int(task["generation"]), str(task.get("stage") or "job"))

    def event(self, kind: str, **fields: Any) -> dict[str, Any]:
        """POST an event, retrying transient failures; raises `Cancelled` when the work is no longer wanted."""
        url = f"{settings().gateway_url}/function/content/{self.content_id}/events"
        body = {"kind": kind, "generation": self.generation, "stage": self.stage, **fields}
        return post_event(url, body)

    def progress(self, percent: float) -> None:
        try:
            progress_store.report(self.content_id, self.generation, self.stage, percent)
        except REDIS_ERRORS:
            log.warning("could not record progress of %s", self.content_id)
