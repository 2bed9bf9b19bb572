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
from collections.abc import Callable
from typing import Any

from flmnchll import openapi
from flmnchll.admin_tasks import require_admin
from flmnchll.auth import authenticate
from flmnchll.content import catalog, events, manage, watching
from flmnchll.errors import BadRequest
from flmnchll.service_calls import require_internal
from flmnchll.web import Request, Response, Router, validate

router = Router("content")


# What an admin does to an item, by a sub-path or by an admin task's action.

def _updated(content_id: str, fields: dict[str, Any]) -> Response:
    return Response(catalog.public(manage.update_details(content_id, fields), admin=True))


def _deleted(content_id: str) -> Response:
    manage.delete(content_id)
    return Response({"deleted": content_id})


def _reprocessed(content_id: str) -> Response:
    return Response(catalog.public(manage.reprocess(content_id), admin=True), status=202)


def _with_subtitles(content_id: str, fields: dict[str, Any]) -> Response:
    return Response(catalog.public(manage.add_subtitles(content_id, fields), admin=True), status=201)


def _with_thumbnail(content_id: str, image: bytes) -> Response:
    return Response(catalog.public(manage.replace_thumbnail(content_id, image), admin=True))


def _checked(fields: dict[str, Any], schema: str) -> dict[str, Any]:
    """A task's fields, held to the schema of the body its sub-path takes."""
    validate(fields, openapi.schema(schema))
    return fields


def _image(fields: dict[str, Any]) -> bytes:
    """A task's image: `image_base64`, as a signed JSON body cannot carry the bytes themselves."""
    try:
        return base64.b64decode(fields.get("image_base64", ""), validate=True)
    except ValueError as exc:
        raise BadRequest("'image_base64' is not valid base64.", code="invalid_request") from exc


TASKS: dict[str, Callable[[str, dict[str, Any]], Response]] = {
    "update": lambda content_id, fields: _updated(content_id, _checked(fields, "ContentPatch")),
    "delete": lambda content_id, fields: _deleted(content_id),
    "reprocess": lambda content_id, fields: _reprocessed(content_id),
    "subtitles": lambda content_id, fields: _with_subtitles(content_id, _checked(fields, "SubtitleUpload")),
    "thumbnail": lambda content_id, fields: _with_thumbnail(content_id, _image(fields)),
}


@router.route("POST", "/", operation="contentTask")
def admin_task(request: Request) -> Response:
    """The sub-paths' actions in one body, for `faas-cli invoke`, which cannot call a sub-path."""
    require_admin(request)
    body = request.json()
    fields = {k: v for k, v in body.items() if k not in ("action", "id")}
    return TASKS[body["action"]](body["id"], fields)


@router.route("GET", "/progress", operation="myProgress")
def my_progress(request: Request) -> dict:
    user = authenticate(request)
    return {"items": watching.my_progress(user.id)}


@router.route("PATCH", "/{content_id}", operation="updateContent")
def update(request: Request) -> Response:
    require_admin(request)
    return _updated(request.params["content_id"], request.json())


@router.route("DELETE", "/{content_id}", operation="deleteContent")
def delete(request: Request) -> Response:
    require_admin(request)
    return _deleted(request.params["content_id"])


@router.route("POST", "/{content_id}/reprocess", operation="reprocessContent")
def reprocess(request: Request) -> Response:
    require_admin(request)
    return _reprocessed(request.params["content_id"])


@router.route("POST", "/{content_id}/subtitles", operation="addSubtitles")
def subtitles(request: Request) -> Response:
    require_admin(request)
    return _with_subtitles(request.params["content_id"], request.json())


@router.route("POST", "/{content_id}/thumbnail", operation="setThumbnail")
def thumbnail(request: Request) -> Response:
    require_admin(request)
    return _with_thumbnail(request.params["content_id"], request.body)


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
