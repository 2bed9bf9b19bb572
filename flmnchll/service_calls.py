"""Calls between our own services (workers, tusd's hooks, S3 notifications), proven by the service key.

The key is `service-key`, derived from the root secret for this one use: it opens internal endpoints and
nothing else (no admin task, no peer token). Callers send it as `X-Internal-Secret`; an S3 notification
webhook, which can only be given a bearer token, may send it as `Authorization: Bearer`.
"""

from __future__ import annotations

import hmac

from flmnchll import keys
from flmnchll.errors import Unauthorized
from flmnchll.web import Request

INTERNAL_HEADER = "x-internal-secret"


def caller_headers() -> dict[str, str]:
    """The headers that prove a request comes from one of our services."""
    return {"X-Internal-Secret": keys.read(keys.SERVICE_KEY)}


def _is_service_key(given: str) -> bool:
    return bool(given) and hmac.compare_digest(given.encode(), keys.read(keys.SERVICE_KEY).encode())


def require_internal(request: Request, *, bearer_too: bool = False) -> None:
    """Refuse callers that are not our own services; `bearer_too` also takes the key as a bearer token."""
    if _is_service_key(request.headers.get(INTERNAL_HEADER, "")):
        return
    if bearer_too and _is_service_key(request.bearer_token() or ""):
        return
    raise Unauthorized("This endpoint is for internal services only.", code="internal_only")
