"""stats: the usage and service-status document for admins, and business metrics for Prometheus.

GET / → the stats document (admin token or `faas-cli invoke stats --sign X-Hub-Signature`);
GET /metrics → Prometheus text format (admin token, signature or the service key).
"""

from __future__ import annotations

from flmnchll.admin_tasks import require_admin
from flmnchll.stats import metrics, summary
from flmnchll.stats.access import require_internal_or_admin
from flmnchll.web import Request, Response, Router

router = Router("stats")


@router.route("GET", "/", operation="stats")
def stats(request: Request) -> Response:
    require_admin(request)
    return Response(summary.build(limit=request.args.get("limit")), headers={"Cache-Control": "no-store"})


@router.route("POST", "/", operation="statsTask")
def stats_task(request: Request) -> Response:
    """`faas-cli invoke` sends POST: the same document, for admin scripts."""
    return stats(request)


@router.route("GET", "/metrics", operation="businessMetrics")
def prometheus(request: Request) -> Response:
    require_internal_or_admin(request)
    return Response(metrics.render(), headers={"Content-Type": metrics.CONTENT_TYPE}, raw=True)


handle = router.handler()
