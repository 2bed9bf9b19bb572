"""How a job tells the content manager what happened: events over HTTP, percent done in Redis.

Events go to the `content` function (`POST /function/content/ID/events`, service key) so that one place
owns the catalog. Percent-done goes straight to Redis: it is written every second and only read for display.
A 404/409/410 answer means the item was deleted or re-processed since the job was queued: the job stops.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import requests

from flmnchll.config import settings
from flmnchll.content import progress as progress_store
from flmnchll.outages import REDIS_ERRORS
from flmnchll.service_calls import caller_headers

log = logging.getLogger("workers")

ATTEMPTS = 5
STOP_STATUSES = {404, 409, 410}


class Cancelled(Exception):
    """The item is gone or belongs to a newer run; the job's work is no longer wanted."""


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
        delay = 0.5
        for attempt in range(1, ATTEMPTS + 1):
            try:
                headers = caller_headers()
                response = requests.post(url, json=body, headers=headers, timeout=15)
            except requests.RequestException as exc:
                if attempt == ATTEMPTS:
                    raise
                log.warning("event %s for %s failed (%s); retrying", kind, self.content_id, exc)
            else:
                if response.status_code < 300:
                    return response.json() if response.content else {}
                if response.status_code in STOP_STATUSES:
                    raise Cancelled(f"{self.content_id}: {response.status_code} {response.text[:200]}")
                if response.status_code < 500 or attempt == ATTEMPTS:
                    raise RuntimeError(f"content manager refused {kind}: {response.status_code} {response.text[:300]}")
            time.sleep(delay)
            delay = min(delay * 2, 8)
        return {}

    def progress(self, percent: float) -> None:
        try:
            progress_store.report(self.content_id, self.generation, self.stage, percent)
        except REDIS_ERRORS:
            log.warning("could not record progress of %s", self.content_id)
