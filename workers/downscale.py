"""Job `downscale` (queue `downscale`): the lower rungs of an item, all from one decode of the source.

The planning job decides the batches; the first batch (the lowest rung) also queues the thumbnails, which
are cut from the smallest rendition rather than the source because it decodes many times faster.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from flmnchll.content import jobs
from flmnchll.media.errors import MediaError
from flmnchll.media.ladder import Rendition
from flmnchll.media.probe import MediaInfo
from flmnchll.media.process import die_with_parent
from workers import source as sources
from workers.renditions import encode_group, tidy
from workers.report import Cancelled, Reporter

log = logging.getLogger("workers")


def run(task: dict[str, Any]) -> dict[str, Any]:
    die_with_parent()
    reporter = Reporter.for_task(task)
    info = MediaInfo.from_dict(task["info"])
    renditions = [Rendition.from_dict(r) for r in task["renditions"]]
    try:
        path = sources.local_path(task["source"])
        done = encode_group(reporter, path, info, renditions)
        if task.get("thumbnails"):
            smallest = min(renditions, key=lambda r: (r.pixels, r.container != "mp4"))
            jobs.enqueue(jobs.DOWNSCALE, "workers.thumbnails.run",
                         {"content_id": task["content_id"], "generation": task["generation"],
                          "rendition": smallest.to_dict(), "duration": info.duration},
                         "thumbnails", timeout=jobs.job_timeout(info.duration, 0.2), at_front=True)
        return {"renditions": [r["name"] for r in done]}
    except MediaError as exc:
        with contextlib.suppress(Cancelled):
            reporter.failed(exc.reason)
        return {"failed": exc.reason}
    except Cancelled as exc:
        log.info("content %s: work no longer wanted (%s)", reporter.content_id, exc)
        return {"cancelled": True}
    finally:
        tidy(reporter.content_id, reporter.stage)
