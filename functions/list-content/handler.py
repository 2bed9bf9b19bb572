"""list-content: GET / → {items, total, page, per_page} (search `q` by title, paging); GET /ID → one item.

Viewers see ready items; administrators see every item with its progress and, when failed, the reason.
"""

from __future__ import annotations

from flmnchll.admin_tasks import SIGNATURE_HEADER, require_admin
from flmnchll.auth import Principal, authenticate
from flmnchll.content import catalog
from flmnchll.errors import BadRequest, NotFound
from flmnchll.web import Request, Router

router = Router("list-content")


def _caller(request: Request) -> Principal:
    if request.headers.get(SIGNATURE_HEADER):
        return require_admin(request)
    return authenticate(request)


def _int(request: Request, name: str, default: int) -> int:
    raw = request.query.get(name, "")
    if raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise BadRequest(f"'{name}' must be a whole number.", code="invalid_request") from exc


@router.route("GET", "/")
def list_items(request: Request) -> dict:
    caller = _caller(request)
    page, per_page = max(1, _int(request, "page", 1)), max(1, min(catalog.MAX_PER_PAGE, _int(request, "per_page", 20)))
    items, total = catalog.search(request.query.get("q", "")[:200], page=page, per_page=per_page,
                                  include_all=caller.is_admin)
    return {"items": [catalog.public(item, admin=caller.is_admin) for item in items],
            "total": total, "page": page, "per_page": per_page}


@router.route("GET", "/{content_id}")
def one_item(request: Request) -> dict:
    caller = _caller(request)
    item = catalog.get(request.params["content_id"])
    if item.get("status") != "ready" and not caller.is_admin:
        raise NotFound("There is no such video.", code="content_not_found")
    return catalog.public(item, admin=caller.is_admin)


handle = router.handler()
