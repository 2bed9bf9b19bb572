"""Uploads arriving: tusd's HTTP hooks (v2 JSON) and S3/MinIO bucket notifications.

`pre-create` decides before a byte is stored: only administrators upload, with a declared size and a video
file name. `pre-finish` (synchronous: the client's last PATCH waits for it) and `post-finish` (asynchronous)
both record the item and start processing; either may come first or twice, and the unique upload id makes
that one item. No name from the client becomes a path: the stored file is `UPLOAD_DIR/<tus id>`, and the
storage path tusd reports is only accepted when it is exactly that file.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote_plus

from flmnchll.auth import principal_for
from flmnchll.config import settings
from flmnchll.content import catalog, jobs
from flmnchll.errors import BadRequest

DEFAULT_MAX_UPLOAD_BYTES = 50 * 1024**3
MAX_FILENAME = 255
MAX_TITLE = 200
MAX_DESCRIPTION = 5000
UPLOAD_ID = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.+-]{0,199}$")
VIDEO_EXTENSIONS = {
    "3g2", "3gp", "asf", "avi", "divx", "dv", "f4v", "flv", "m2t", "m2ts", "m2v", "m4v", "mkv", "mov", "mp4",
    "mpeg", "mpg", "mts", "mxf", "nut", "ogg", "ogv", "qt", "rm", "rmvb", "ts", "vob", "webm", "wmv", "y4m",
}


def max_upload_bytes() -> int:
    return int(os.environ.get("MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES))


def reject(status: int, code: str, message: str) -> dict[str, Any]:
    """A tusd hook response refusing the upload with our usual JSON error body."""
    body = json.dumps({"error": {"code": code, "message": message}})
    return {"RejectUpload": True,
            "HTTPResponse": {"StatusCode": status, "Body": body, "Header": {"Content-Type": "application/json"}}}


def _header(event: dict[str, Any], name: str) -> str:
    headers = (event.get("HTTPRequest") or {}).get("Header") or {}
    for key, values in headers.items():
        if key.lower() == name.lower():
            if isinstance(values, list):
                return str(values[0]) if values else ""
            return str(values)
    return ""


def _bearer(event: dict[str, Any]) -> str | None:
    value = _header(event, "Authorization")
    if value.lower().startswith("bearer "):
        return value[7:].strip() or None
    return None


def check_filename(name: str) -> str | None:
    """Why a declared file name is unacceptable, or None. The name is only ever shown, never used as a path."""
    if not name or not name.strip():
        return "The upload needs a 'filename' in its metadata."
    if len(name) > MAX_FILENAME or any(ord(c) < 32 or c in "/\\" for c in name):
        return "The file name is too long or contains characters that are not allowed."
    extension = PurePosixPath(name).suffix.lower().lstrip(".")
    if extension not in VIDEO_EXTENSIONS:
        return f"'{name}' does not look like a video file (allowed: {', '.join(sorted(VIDEO_EXTENSIONS))})."
    return None


def pre_create(event: dict[str, Any]) -> dict[str, Any]:
    """Admit an upload only from an administrator, with a size and a video file name."""
    token = _bearer(event)
    if not token:
        return reject(401, "not_logged_in", "Please log in as an administrator to upload videos.")
    principal = principal_for(token)
    if principal is None:
        return reject(401, "session_expired", "Your session has expired. Please log in again.")
    if not principal.is_admin:
        return reject(403, "admin_only", "Only administrators can upload videos.")
    upload = event.get("Upload") or {}
    size = upload.get("Size")
    if upload.get("SizeIsDeferred") or not isinstance(size, int) or size <= 0:
        return reject(400, "size_required", "The upload must declare its size (Upload-Length) up front.")
    if size > max_upload_bytes():
        return reject(413, "too_large", f"The file is larger than the limit of {max_upload_bytes()} bytes.")
    metadata = dict(upload.get("MetaData") or {})
    problem = check_filename(str(metadata.get("filename", "")))
    if problem:
        return reject(400, "bad_filename", problem)
    title = str(metadata.get("title") or "").strip()
    if len(title) > MAX_TITLE or len(str(metadata.get("description") or "")) > MAX_DESCRIPTION:
        return reject(400, "bad_metadata", "The title or description is too long.")
    metadata["owner"] = principal.id  # overwritten here, so later hooks can trust it
    return {"ChangeFileInfo": {"MetaData": metadata}}


def upload_path(upload_id: str, storage: dict[str, Any] | None) -> Path:
    """The stored file of an upload; refuses any storage path that is not exactly `UPLOAD_DIR/<id>`."""
    if not UPLOAD_ID.match(upload_id or ""):
        raise BadRequest("The upload id is not valid.", code="bad_upload_id")
    root = settings().upload_dir.resolve()
    expected = root / upload_id
    reported = (storage or {}).get("Path")
    if reported:
        candidate = Path(str(reported)).resolve()
        if candidate != expected or root not in candidate.parents:
            raise BadRequest("The upload's storage path is outside the upload folder.", code="bad_storage_path")
    return expected


def _title_from(metadata: dict[str, Any], fallback: str) -> str:
    title = str(metadata.get("title") or "").strip()
    if title:
        return title[:MAX_TITLE]
    stem = PurePosixPath(str(metadata.get("filename") or fallback)).stem
    return (stem.replace("_", " ").strip() or "Untitled")[:MAX_TITLE]


def record(upload_id: str, source: dict[str, Any], metadata: dict[str, Any], size: int | None,
           ) -> tuple[dict[str, Any], bool]:
    """Create the item for a finished upload (once) and make sure its processing is queued."""
    item, created = catalog.create(
        upload_id, source, title=_title_from(metadata, upload_id),
        description=str(metadata.get("description") or "")[:MAX_DESCRIPTION],
        filename=str(metadata.get("filename") or "")[:MAX_FILENAME], size=size,
        owner=str(metadata.get("owner") or "") or None)
    if item.get("status") == "processing" and int(item.get("generation") or 1) == 1:
        jobs.start_processing(item)
    return item, created


def finished(event: dict[str, Any]) -> dict[str, Any]:
    """pre-finish / post-finish: the upload is complete on disk; record it and answer with its content id."""
    upload = event.get("Upload") or {}
    if upload.get("IsPartial"):
        return {}
    upload_id = str(upload.get("ID") or "")
    size, offset = upload.get("Size"), upload.get("Offset")
    if isinstance(size, int) and isinstance(offset, int) and offset < size:
        raise BadRequest("The upload is not complete yet.", code="upload_incomplete")
    storage = upload.get("Storage") or {}
    if str(storage.get("Type", "filestore")).lower().startswith("s3"):
        source = {"kind": "s3", "bucket": str(storage.get("Bucket", "")), "key": str(storage.get("Key", ""))}
        if not UPLOAD_ID.match(upload_id):
            raise BadRequest("The upload id is not valid.", code="bad_upload_id")
    else:
        upload_path(upload_id, storage)
        source = {"kind": "upload", "id": upload_id}
    item, _ = record(upload_id, source, dict(upload.get("MetaData") or {}), size if isinstance(size, int) else None)
    return {"HTTPResponse": {"Header": {"X-Content-Id": item["_id"]}}}


def is_s3_notification(body: dict[str, Any]) -> bool:
    return isinstance(body.get("Records"), list) and any("s3" in r for r in body["Records"] if isinstance(r, dict))


def s3_notification(body: dict[str, Any]) -> dict[str, Any]:
    """AWS S3 / MinIO `ObjectCreated` records → items; tusd's own `.info`/`.part` objects are skipped."""
    created = []
    for record_ in body.get("Records") or []:
        if not isinstance(record_, dict) or "ObjectCreated" not in str(record_.get("eventName", "")):
            continue
        s3 = record_.get("s3") or {}
        bucket = str((s3.get("bucket") or {}).get("name", ""))
        obj = s3.get("object") or {}
        key = unquote_plus(str(obj.get("key", "")))
        if not bucket or not key or key.endswith((".info", ".part")) or key.endswith("/"):
            continue
        user_meta = {k.lower().removeprefix("x-amz-meta-"): v for k, v in (obj.get("userMetadata") or {}).items()}
        metadata = {"filename": PurePosixPath(key).name, **{k: v for k, v in user_meta.items()
                                                              if k in ("title", "description", "filename")}}
        version = str(obj.get("versionId") or obj.get("eTag") or obj.get("sequencer") or "")
        upload_id = f"s3:{bucket}/{key}" + (f"#{version}" if version else "")
        item, _ = record(upload_id, {"kind": "s3", "bucket": bucket, "key": key}, metadata,
                         int(obj["size"]) if isinstance(obj.get("size"), int) else None)
        created.append(item["_id"])
    return {"items": created}
