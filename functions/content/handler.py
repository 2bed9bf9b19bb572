"""content: the content manager.

Admins (Bearer token or `faas-cli invoke --sign`): PATCH /ID, DELETE /ID, POST /ID/reprocess,
POST /ID/subtitles, POST /ID/thumbnail (image bytes). Viewers: POST /ID/progress, GET /progress.
Workers (X-Internal-Secret, the service key): POST /ID/events.
Admin tasks from `faas-cli invoke content --sign X-Hub-Signature --key ADMIN_TASK_KEY` (no sub-path there):
POST / {"action": "update|delete|reprocess|subtitles|thumbnail", "id", ...the fields of that action}
(`thumbnail` takes the image as `image_base64`).
"""

from __future__ import annotations

import base64

from flmnchll import openapi
from flmnchll.admin_tasks import require_admin
from flmnchll.auth import authenticate
from flmnchll.content import catalog, events, manage, watching
from flmnchll.errors import BadRequest
from flmnchll.service_calls import require_internal
from flmnchll.web import Request, Response, Router, validate

router = Router("content")


@router.route("POST", "/", operation="contentTask")
def admin_task(request: Request) -> Response:
    require_admin(request)
    body = request.json()
    content_id, action = body["id"], body["action"]
    fields = {k: v for k, v in body.items() if k not in ("action", "id")}
    if action == "delete":
        manage.delete(content_id)
        return Response({"deleted": content_id})
    if action == "reprocess":
        return Response(catalog.public(manage.reprocess(content_id), admin=True), status=202)
    if action == "thumbnail":
        try:
            image = base64.b64decode(fields.get("image_base64", ""), validate=True)
        except ValueError as exc:
            raise BadRequest("'image_base64' is not valid base64.", code="invalid_request") from exc
        return Response(catalog.public(manage.replace_thumbnail(content_id, image), admin=True))
    if action == "update":
        validate(fields, openapi.schema("ContentPatch"))
        return Response(catalog.public(manage.update_details(content_id, fields), admin=True))
    validate(fields, openapi.schema("SubtitleUpload"))
    return Response(catalog.public(manage.add_subtitles(content_id, fields), admin=True), status=201)


@router.route("GET", "/progress", operation="myProgress")
def my_progress(request: Request) -> dict:
    user = authenticate(request)
    return {"items": watching.my_progress(user.id)}


@router.route("PATCH", "/{content_id}", operation="updateContent")
def update(request: Request) -> dict:
    require_admin(request)
    body = request.json()
    return catalog.public(manage.update_details(request.params["content_id"], body), admin=True)


@router.route("DELETE", "/{content_id}", operation="deleteContent")
def delete(request: Request) -> Response:
    require_admin(request)
    manage.delete(request.params["content_id"])
    return Response({"deleted": request.params["content_id"]})


@router.route("POST", "/{content_id}/reprocess", operation="reprocessContent")
def reprocess(request: Request) -> Response:
    require_admin(request)
    return Response(catalog.public(manage.reprocess(request.params["content_id"]), admin=True), status=202)


@router.route("POST", "/{content_id}/subtitles", operation="addSubtitles")
def subtitles(request: Request) -> Response:
    require_admin(request)
    body = request.json()
    return Response(catalog.public(manage.add_subtitles(request.params["content_id"], body), admin=True),
                    status=201)


@router.route("POST", "/{content_id}/thumbnail", operation="setThumbnail")
def thumbnail(request: Request) -> dict:
    require_admin(request)
    return catalog.public(manage.replace_thumbnail(request.params["content_id"], request.body), admin=True)


@router.route("POST", "/{content_id}/progress", operation="reportProgress")
def progress(request: Request) -> dict:
    user = authenticate(request)
    body = request.json()
    item = catalog.get(request.params["content_id"])
    return watching.save_progress(user.id, item, body)


@router.route("POST", "/{content_id}/events", operation="contentEvent")
def worker_event(request: Request) -> dict:
    require_internal(request)
    body = request.json()
    return events.apply(request.params["content_id"], body)


handle = router.handler()
