"""Where a job finds the uploaded file: tusd's store on disk, or an object in S3-compatible storage.

The task names the upload by id; the path is rebuilt here from `UPLOAD_DIR`, never taken from a message.
S3 objects are fetched once into `DATA_DIR/cache/s3` over plain HTTP(S) from `S3_ENDPOINT` (a bucket
readable by the workers, e.g. MinIO on a private network).
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests

from flmnchll.config import settings
from flmnchll.media.errors import MediaError

UPLOAD_ID = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.+-]{0,199}$")


def local_path(source: dict[str, Any]) -> Path:
    kind = source.get("kind")
    if kind == "upload":
        upload_id = str(source.get("id", ""))
        if not UPLOAD_ID.match(upload_id):
            raise MediaError("The upload reference is not valid.")
        path = settings().upload_dir / upload_id
        if not path.is_file():
            raise MediaError("The uploaded file is missing from storage.")
        return path
    if kind == "s3":
        return _fetch_s3(str(source.get("bucket", "")), str(source.get("key", "")))
    raise MediaError("The upload's storage is not supported by this worker.")


def _fetch_s3(bucket: str, key: str) -> Path:
    endpoint = os.environ.get("S3_ENDPOINT", "").rstrip("/")
    if not endpoint or not bucket or not key:
        raise MediaError("The file is in object storage, but no S3_ENDPOINT is configured for the workers.")
    cache = settings().data_dir / "cache" / "s3"
    cache.mkdir(parents=True, exist_ok=True)
    target = cache / hashlib.sha256(f"{bucket}/{key}".encode()).hexdigest()
    if target.is_file():
        return target
    partial = target.with_suffix(".part")
    with requests.get(f"{endpoint}/{quote(bucket)}/{quote(key)}", stream=True, timeout=60) as response:
        if response.status_code == 404:
            raise MediaError("The uploaded object no longer exists in storage.")
        response.raise_for_status()
        with partial.open("wb") as handle:
            for chunk in response.iter_content(chunk_size=1 << 20):
                handle.write(chunk)
    os.replace(partial, target)
    return target
