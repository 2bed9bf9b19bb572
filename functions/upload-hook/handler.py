"""upload-hook: tusd's HTTP hooks (pre-create, pre-finish, post-finish, ...) and S3 bucket notifications.

Internal callers only, checked before the body is even parsed: tusd's hook requests carry `X-Internal-Secret`
(the front door adds the service key to every upload request and tusd forwards it); MinIO webhooks may send the
service key as a Bearer token instead.
"""

from __future__ import annotations

from flmnchll.content import uploads
from flmnchll.service_calls import require_internal
from flmnchll.web import Request, Router

router = Router("upload-hook")

@router.route("POST", "/", operation="uploadHook")
def hook(request: Request) -> dict:
    require_internal(request, bearer_too=True)
    body = request.json()
    if uploads.is_s3_notification(body):
        return uploads.s3_notification(body)
    kind = body.get("Type") or request.headers.get("hook-name", "")
    event = body.get("Event") or {}
    if kind == "pre-create":
        return uploads.pre_create(event)
    if kind in ("pre-finish", "post-finish"):
        return uploads.finished(event)
    return {}


handle = router.handler()
