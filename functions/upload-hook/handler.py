"""upload-hook: tusd's HTTP hooks (pre-create, pre-finish, post-finish, ...) and S3 bucket notifications.

Internal callers only: tusd's hook requests carry `X-Internal-Secret` (the front door adds it to every upload
request and tusd forwards it); MinIO webhooks may send the same secret as a Bearer token instead.
"""

from __future__ import annotations

import hmac

from flmnchll.auth import require_internal
from flmnchll.config import read_secret
from flmnchll.content import uploads
from flmnchll.web import Request, Router

router = Router()

HOOK_SCHEMA = {
    "type": "object",
    "properties": {"Type": {"type": "string"}, "Event": {"type": "object"}, "Records": {"type": "array"}},
}


def _bearer_is_internal(request: Request) -> bool:
    token = request.bearer_token() or ""
    expected = read_secret("internal-api-secret", "INTERNAL_API_SECRET")
    return bool(token) and hmac.compare_digest(token.encode(), expected.encode())


@router.route("POST", "/")
def hook(request: Request) -> dict:
    body = request.json(HOOK_SCHEMA)
    if uploads.is_s3_notification(body):
        if not _bearer_is_internal(request):
            require_internal(request)
        return uploads.s3_notification(body)
    require_internal(request)
    kind = body.get("Type") or request.headers.get("hook-name", "")
    event = body.get("Event") or {}
    if kind == "pre-create":
        return uploads.pre_create(event)
    if kind in ("pre-finish", "post-finish"):
        return uploads.finished(event)
    return {}


handle = router.handler()
