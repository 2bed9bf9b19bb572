"""list-content: GET / → {items, total, page, per_page} (search `q` by title, paging); GET /ID → one item;
GET /s/EXPIRES/SIGNATURE/ID/hls/[STREAM/]NAME.m3u8 → an item's playlist with signed segment links (S3 storage).

Viewers see ready items and those still processing that already play; administrators see every item with
its progress and, when failed, the reason.
"""

from __future__ import annotations

from flmnchll.auth import SIGNATURE_HEADER, Principal, authenticate, require_admin
from flmnchll.content import catalog, streaming
from flmnchll.errors import BadRequest, NotFound
from flmnchll.web import Request, Response, Router

router = Router()


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
    if not caller.is_admin and not catalog.watchable(item):
        raise NotFound("There is no such video.", code="content_not_found")
    return catalog.public(item, admin=caller.is_admin)


@router.route("GET", "/s/{expires}/{signature}/{content_id}/hls/{name}")
@router.route("GET", "/s/{expires}/{signature}/{content_id}/hls/{stream}/{name}")
def playlist(request: Request) -> Response:
    """The link is its own authorisation (a signed, expiring prefix), as for the media files themselves."""
    params = request.params
    text = streaming.signed_playlist(params["content_id"], params["expires"], params["signature"],
                                     params.get("stream"), params["name"])
    return Response(text, headers=streaming.PLAYLIST_HEADERS, raw=True)


handle = router.handler()
