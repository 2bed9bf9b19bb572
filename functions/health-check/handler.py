"""health-check: probes every component and records up/down; run every minute by the cron connector.

Each run also does the statistics' housekeeping: exact daily active counts into MongoDB, the account count
recounted.

Callers with the service key, an admin token or a signed admin task get an immediate probe and every
detail. Unauthenticated calls (the cron connector sends none) probe at most once per `CRON_MIN_INTERVAL`
seconds and learn only whether all is up, so the front door cannot be used to hammer the components or read
their internals. GET / answers the latest recorded status without probing (authenticated callers only).
"""

from __future__ import annotations

from flmnchll.service_calls import require_internal
from flmnchll.stats import activity, health, uptime, users
from flmnchll.stats.access import internal_or_admin
from flmnchll.stores import redis_client
from flmnchll.web import Request, Response, Router

router = Router("health-check")
CRON_MIN_INTERVAL = 20


def _run() -> list[health.Result]:
    results = health.probe_all()
    uptime.record(results)
    activity.persist_daily()
    users.reconcile()
    return results


@router.route("POST", "/", operation="healthCheck")
def probe(request: Request) -> Response | dict:
    if internal_or_admin(request):
        results = _run()
        down = [result.name for result in results if not result.up]
        return {"ok": not down, "down": down, "components": [result.public() for result in results]}
    if not redis_client().set("health:cron-lock", "1", nx=True, ex=CRON_MIN_INTERVAL):
        return Response({"ok": True, "skipped": "probed moments ago"}, status=202)
    results = _run()
    return {"ok": all(result.up for result in results)}


@router.route("GET", "/", operation="healthStatus")
def latest(request: Request) -> dict:
    if not internal_or_admin(request):
        require_internal(request)  # tells an anonymous caller that this is for our services
    return {"services": uptime.services(), "checked_at": uptime.last_checked()}


handle = router.handler()
