"""Where a job finds the uploaded file: the uploads storage (tusd's folder, or `uploads/` in our bucket), or an
object in another S3-compatible bucket.

The task names the upload by id; the key is rebuilt here, never taken as a path from a message. With the S3
backend, the source is fetched once through the uploads storage into `DATA_DIR/cache/s3`; a local upload is read
in place. Objects of other buckets (bucket notifications) are downloaded once, into the same cache, with the
storage's S3 client: the same endpoint (`S3_ENDPOINT_URL`), region and credentials as the media bucket.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any

from flmnchll import storage
from flmnchll.config import MissingSecret, settings
from flmnchll.media.errors import MediaError

UPLOAD_ID = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.+-]{0,199}$")


def cache_dir() -> Path:
    path = settings().data_dir / "cache" / "s3"
    path.mkdir(parents=True, exist_ok=True)
    return path


def local_path(source: dict[str, Any]) -> Path:
    kind = source.get("kind")
    if kind == "upload":
        upload_id = str(source.get("id", ""))
        if not UPLOAD_ID.match(upload_id):
            raise MediaError("The upload reference is not valid.")
        return _from_uploads(upload_id)
    if kind == "s3":
        bucket, key = str(source.get("bucket", "")), str(source.get("key", ""))
        ours = f"{storage.UPLOADS}/"
        if (storage.backend_name() == "s3" and bucket == os.environ.get("S3_BUCKET")
                and key.startswith(ours)):
            return _from_uploads(key.removeprefix(ours))
        return _fetch_s3(bucket, key)
    raise MediaError("The upload's storage is not supported by this worker.")


def _from_uploads(key: str) -> Path:
    """Read through the uploads storage: in place locally, downloaded once from S3."""
    uploads = storage.uploads()
    try:
        return storage.readable_path(uploads, key, cache_dir())
    except ValueError as exc:
        raise MediaError("The upload reference is not valid.") from exc
    except storage.NotFound as exc:
        raise MediaError("The uploaded file is missing from storage.") from exc


def _fetch_s3(bucket: str, key: str) -> Path:
    """An object of another bucket, downloaded once into the cache."""
    from botocore.exceptions import ClientError  # only here: most workers never load the S3 client

    if not bucket or not key:
        raise MediaError("The upload's object storage reference is not valid.")
    target = cache_dir() / hashlib.sha256(f"{bucket}/{key}".encode()).hexdigest()
    if target.is_file():
        return target
    try:
        client = storage.s3_client()
    except MissingSecret as exc:
        raise MediaError("The file is in object storage, but the workers have no S3 credentials.") from exc
    partial = target.with_suffix(".part")
    try:
        client.download_file(bucket, key, str(partial))
    except ClientError as exc:
        if storage.s3_missing(exc):
            raise MediaError("The uploaded object no longer exists in storage.") from exc
        raise
    os.replace(partial, target)
    return target
