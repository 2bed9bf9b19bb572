"""Who may read the service's health and business metrics: our own services (the service key) or an admin.

Its own module, apart from `flmnchll.service_calls`, so that functions that only take calls from our services
(upload-hook) do not reach the admin-task key.
"""

from __future__ import annotations

from flmnchll.admin_tasks import SIGNATURE_HEADER, require_admin
from flmnchll.service_calls import INTERNAL_HEADER, require_internal
from flmnchll.web import Request


def require_internal_or_admin(request: Request) -> None:
    """The service key when one is sent, otherwise an admin (a session or a signed task); 401/403 if not."""
    if request.headers.get(INTERNAL_HEADER):
        require_internal(request)
    else:
        require_admin(request)


def internal_or_admin(request: Request) -> bool:
    """True for our services and admins, False for a caller that sent no credential at all.

    A credential that does not hold is still refused (401/403), never mistaken for an anonymous call.
    """
    if not any(request.headers.get(name) for name in (INTERNAL_HEADER, SIGNATURE_HEADER, "authorization")):
        return False
    require_internal_or_admin(request)
    return True
