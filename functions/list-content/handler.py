"""list-content: GET / → {items, total, page, per_page} (search `q` by title, paging); GET /ID → one item;
GET /s/EXPIRES/SIGNATURE/ID/hls/[STREAM/]NAME.m3u8 → an item's playlist with signed segment links (S3 storage).

Viewers see ready items and those still processing that already play; administrators see every item with
its progress and, when failed, the reason.
"""

from __future__ import annotations

from flmnchll.admin_tasks import caller
from flmnchll.content import catalog, streaming, visibility
from flmnchll.errors import NotFound
from flmnchll.web import Request, Response, Router

router = Router("list-content")


@router.route("GET", "/", operation="listContent")
def list_items(request: Request) -> dict:
    who = caller(request)
    page, per_page = request.args["page"], request.args["per_page"]
    items, total = catalog.search(request.args.get("q", ""), page=page, per_page=per_page,
                                  include_all=who.is_admin)
    return {"items": [catalog.public(item, admin=who.is_admin) for item in items],
            "total": total, "page": page, "per_page": per_page}


@router.route("GET", "/{content_id}", operation="getContent")
def one_item(request: Request) -> dict:
    who = caller(request)
    item = catalog.get(request.params["content_id"])
    if not who.is_admin and not visibility.watchable(item):
        raise NotFound("There is no such video.", code="content_not_found")
    return catalog.public(item, admin=who.is_admin)


@router.route("GET", "/s/{expires}/{signature}/{content_id}/hls/{name}", operation="getMasterPlaylist")
@router.route("GET", "/s/{expires}/{signature}/{content_id}/hls/{stream}/{name}", operation="getStreamPlaylist")
def playlist(request: Request) -> Response:
    """The link is its own authorisation (a signed, expiring prefix), as for the media files themselves."""
    params = request.params
    text = streaming.signed_playlist(params["content_id"], params["expires"], params["signature"],
                                     params.get("stream"), params["name"])
    return Response(text, headers=streaming.PLAYLIST_HEADERS, raw=True)


handle = router.handler()
