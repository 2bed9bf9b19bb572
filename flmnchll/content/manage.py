"""Administrators' changes to items: details, thumbnail, subtitles, re-processing and deletion.

Files are written next to the renditions (media key `<id>/<name>`) under names chosen here, never from the
request, through `flmnchll.storage`: replaced atomically on either backend, so half a file is never served.
"""

from __future__ import annotations

import contextlib
import secrets
from typing import Any

from flmnchll import storage
from flmnchll.content import catalog, jobs, progress, watching
from flmnchll.content.events import item_lock
from flmnchll.errors import BadRequest, PayloadTooLarge
from flmnchll.media import hls
from flmnchll.media.subtitles import SubtitleError, to_vtt
from flmnchll.stores import redis_client

MAX_THUMBNAIL_BYTES = 5 * 1024 * 1024
IMAGE_SIGNATURES = ((b"\xff\xd8\xff", "jpg"), (b"\x89PNG\r\n\x1a\n", "png"), (b"RIFF", "webp"))

def update_details(content_id: str, body: dict[str, Any]) -> dict[str, Any]:
    changes = {}
    if "title" in body:
        title = body["title"].strip()
        if not title:
            raise BadRequest("'title' cannot be blank.", code="invalid_request")
        changes["title"] = title
    if "description" in body:
        changes["description"] = body["description"].strip()
    with item_lock(content_id):
        catalog.get(content_id)
        catalog.save(content_id, changes)
    return catalog.get(content_id)


def image_extension(data: bytes) -> str:
    for signature, extension in IMAGE_SIGNATURES:
        if data.startswith(signature) and (extension != "webp" or data[8:12] == b"WEBP"):
            return extension
    raise BadRequest("The thumbnail must be a JPEG, PNG or WebP image.", code="bad_image")


def replace_thumbnail(content_id: str, data: bytes) -> dict[str, Any]:
    if len(data) > MAX_THUMBNAIL_BYTES:
        raise PayloadTooLarge("The thumbnail is larger than 5 MB.")
    if not data:
        raise BadRequest("Send the image as the request body.", code="empty_body")
    name = f"poster-custom-{secrets.token_hex(4)}.{image_extension(data)}"
    with item_lock(content_id):
        item = catalog.get(content_id)
        storage.media().put_bytes(f"{content_id}/{name}", data)
        previous = item.get("custom_thumbnail")
        catalog.save(content_id, {"custom_thumbnail": name})
    if previous and previous != name:
        storage.media().delete(f"{content_id}/{previous}")
    return catalog.get(content_id)


def add_subtitles(content_id: str, body: dict[str, Any]) -> dict[str, Any]:
    try:
        vtt = to_vtt(body["text"], body["format"])
    except SubtitleError as exc:
        raise BadRequest(str(exc), code="bad_subtitles") from exc
    lang = body["lang"]
    name = f"sub-{lang}.vtt"
    with item_lock(content_id):
        item = catalog.get(content_id)
        storage.media().put_bytes(f"{content_id}/{name}", vtt.encode())
        tracks = [s for s in item.get("subtitles") or [] if s["lang"] != lang]
        tracks.append({"lang": lang, "label": (body.get("label") or lang).strip() or lang, "file": name,
                       "origin": "upload"})
        catalog.save(content_id, {"subtitles": tracks})
    return catalog.get(content_id)


def reprocess(content_id: str) -> dict[str, Any]:
    """Run the pipeline again from the stored upload (a new generation; older workers' reports are ignored)."""
    with item_lock(content_id):
        item = catalog.get(content_id)
        generation = int(item.get("generation") or 1) + 1
        kept_subtitles = [s for s in item.get("subtitles") or [] if s.get("origin") == "upload"]
        catalog.save(content_id, {"generation": generation, "status": "processing", "error": None, "plan": [],
                                  "renditions": [], "streams": [], "playable": False, "thumbnail": None,
                                  "preview": None, "subtitles": kept_subtitles, "ready_at": None})
    jobs.cancel_all(content_id, generation - 1)
    storage.media().delete_prefix(f"{content_id}/{hls.ROOT}/")  # the new run publishes its own streams
    item = catalog.get(content_id)
    jobs.start_processing(item)
    return item


def stored_upload(item: dict[str, Any]) -> str | None:
    """The uploads storage key of the item's original file, when it is one of ours (a tusd upload)."""
    source = item.get("source") or {}
    if source.get("kind") == "upload" and storage.SAFE_PART.match(str(source.get("id", ""))):
        return str(source["id"])
    return None


def delete(content_id: str) -> None:
    """Remove the item, its media, its stored upload, viewers' positions and its progress keys."""
    with item_lock(content_id):
        item = catalog.get(content_id)
        catalog.collection().delete_one({"_id": content_id})
    generation = int(item.get("generation") or 1)
    with contextlib.suppress(Exception):
        jobs.cancel_all(content_id, generation)
    storage.media().delete_prefix(f"{content_id}/")
    upload = stored_upload(item)
    if upload is not None:
        uploads = storage.uploads()
        uploads.delete(upload)
        uploads.delete(upload + ".info")
    watching.forget_item(content_id)
    redis_client().delete(progress.key(content_id, generation))
