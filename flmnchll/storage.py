"""Where uploads and renditions live: a local folder (default) or S3-compatible object storage.

Functions and workers name files by key (`<content_id>/<name>` for media, `<upload_id>` for uploads) and
never by path, so the same code runs on one machine (folders served by nginx) and in production (MinIO or S3
behind a CDN). Media links are signed either way: locally with nginx's `secure_link` md5 scheme (the exact
links `flmnchll.content.links` makes), on S3 as presigned GET URLs, so no listing or guessing ever works.

Chosen by `STORAGE_BACKEND=local|s3`. The S3 backend reads `S3_ENDPOINT_URL` (empty for AWS), `S3_BUCKET`,
`S3_REGION` (default us-east-1), optional `S3_PUBLIC_URL` (a CDN or public endpoint to sign links for) and
the secrets `s3-access-key` / `s3-secret-key` (or `S3_ACCESS_KEY` / `S3_SECRET_KEY`). Keys live under the
`media/` and `uploads/` prefixes of the one bucket.
"""

from __future__ import annotations

import base64
import errno
import functools
import hashlib
import mimetypes
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, Protocol
from urllib.parse import quote

from flmnchll import keys
from flmnchll.config import read_secret, settings

MEDIA = "media"
UPLOADS = "uploads"
AREAS = (MEDIA, UPLOADS)
MEDIA_PREFIX = "/media/"
DEFAULT_TTL = 6 * 3600
ROUND_TO = 3600
#: SigV4 presigned URLs cannot outlive a week.
S3_MAX_TTL = 7 * 24 * 3600
SAFE_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
#: Types browsers need for what the pipeline publishes; some systems' mimetypes lack .vtt and .webm.
CONTENT_TYPES = {".mp4": "video/mp4", ".webm": "video/webm", ".vtt": "text/vtt", ".jpg": "image/jpeg",
                 ".jpeg": "image/jpeg", ".png": "image/png", ".webp": "image/webp",
                 ".m3u8": "application/vnd.apple.mpegurl", ".m4s": "video/mp4"}


class StorageError(RuntimeError):
    """The backend refused or could not be reached."""


class NotFound(StorageError, FileNotFoundError):
    """No object under that key."""


def check_key(key: str) -> str:
    """Keys are one or more plain names joined by '/': nothing can climb out of the area or hide as a dotfile."""
    parts = key.split("/")
    if not key or not all(SAFE_PART.match(part) for part in parts):
        raise ValueError(f"unsafe storage key: {key!r}")
    return key


def link_ttl(duration: float = 0.0) -> int:
    """As content links: never shorter than twice the film plus an hour, so playback never outlives its link."""
    base = int(os.environ.get("MEDIA_LINK_TTL", DEFAULT_TTL))
    return max(base, int(duration * 2) + 3600)


def rounded_expiry(ttl: int, now: float | None = None) -> int:
    """Round up to the hour so the same link comes back for an hour and browsers and CDNs can cache it."""
    moment = int(now if now is not None else time.time()) + ttl
    return -(-moment // ROUND_TO) * ROUND_TO


def content_type_of(key: str) -> str | None:
    """The type an object is served with, from its name, so S3 hands browsers playable media."""
    suffix = Path(key).suffix.lower()
    return CONTENT_TYPES.get(suffix) or mimetypes.guess_type(key)[0]


def secure_link_signature(uri: str, expires: int, secret: str) -> str:
    """nginx `secure_link_md5 "$secure_link_expires$uri <secret>"`: binary md5, base64url without padding."""
    digest = hashlib.md5(f"{expires}{uri} {secret}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


class Storage(Protocol):
    """One area (media or uploads) of a backend."""

    area: str

    def put_file(self, key: str, source: Path, content_type: str | None = None) -> None: ...
    def put_bytes(self, key: str, data: bytes, content_type: str | None = None) -> None: ...
    def move_file(self, key: str, source: Path, content_type: str | None = None) -> None: ...
    def get_bytes(self, key: str) -> bytes: ...
    def download(self, key: str, target: Path) -> Path: ...
    def exists(self, key: str) -> bool: ...
    def size(self, key: str) -> int: ...
    def delete(self, key: str) -> None: ...
    def delete_prefix(self, prefix: str) -> int: ...
    def list(self, prefix: str = "") -> list[str]: ...
    def signed_url(self, key: str, *, duration: float = 0.0, now: float | None = None,
                   expires: int | None = None, absolute: bool = False) -> str: ...


def _write_whole(target: Path, write: Callable[[IO[bytes]], object]) -> None:
    """Write beside `target`, then rename over it: readers see the whole file or none, and a write that fails
    leaves nothing behind (a stray part would keep a deleted item's folder alive)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, prefix=".part-", delete=False) as part:
        try:
            write(part)
        except BaseException:
            part.close()
            Path(part.name).unlink(missing_ok=True)
            raise
    try:
        os.replace(part.name, target)
    except BaseException:
        Path(part.name).unlink(missing_ok=True)
        raise


class LocalStorage:
    """Files under a folder; media served by nginx at `/media/` with secure links."""

    def __init__(self, area: str, root: Path, *, public_url: str = "", secret: str | None = None) -> None:
        self.area = area
        self.root = Path(root)
        self.public_url = public_url.rstrip("/")
        self._secret = secret

    def path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put_file(self, key: str, source: Path, content_type: str | None = None) -> None:
        target = self.path(key)
        with open(source, "rb") as src:  # a missing source fails here, before anything is written
            _write_whole(target, lambda part: shutil.copyfileobj(src, part, 1 << 20))

    def move_file(self, key: str, source: Path, content_type: str | None = None) -> None:
        """Hand a finished file over: a rename on the same disk (instant and atomic), else copy and remove."""
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(source, target)
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise
            self.put_file(key, source, content_type)
            Path(source).unlink(missing_ok=True)

    def put_bytes(self, key: str, data: bytes, content_type: str | None = None) -> None:
        _write_whole(self.path(key), lambda part: part.write(data))

    def get_bytes(self, key: str) -> bytes:
        try:
            return self.path(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError) as exc:
            raise NotFound(key) from exc

    def download(self, key: str, target: Path) -> Path:
        source = self.path(key)
        if not source.is_file():
            raise NotFound(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        return target

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def size(self, key: str) -> int:
        try:
            return self.path(key).stat().st_size
        except FileNotFoundError as exc:
            raise NotFound(key) from exc

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def delete_prefix(self, prefix: str) -> int:
        keys = self.list(prefix)
        for key in keys:
            self.delete(key)
        folder = self.root / check_key(prefix.rstrip("/")) if prefix.strip("/") else None
        if folder is not None and folder.is_dir():
            shutil.rmtree(folder, ignore_errors=True)
        return len(keys)

    def list(self, prefix: str = "") -> list[str]:
        return sorted(key for key in self._walk() if key.startswith(prefix))

    def _walk(self) -> Iterator[str]:
        if not self.root.is_dir():
            return
        for path in self.root.rglob("*"):
            relative = path.relative_to(self.root).as_posix()
            if path.is_file() and not any(part.startswith(".") for part in relative.split("/")):
                yield relative

    def signed_url(self, key: str, *, duration: float = 0.0, now: float | None = None,
                   expires: int | None = None, absolute: bool = False) -> str:
        if self.area != MEDIA:
            raise ValueError("only media is served to browsers")
        uri = MEDIA_PREFIX + "/".join(quote(part) for part in check_key(key).split("/"))
        if expires is None:
            expires = rounded_expiry(link_ttl(duration), now)
        secret = self._secret if self._secret is not None else keys.read(keys.MEDIA_SECRET)
        url = f"{uri}?md5={secure_link_signature(uri, expires, secret)}&expires={expires}"
        return self.public_url + url if absolute else url


class S3Storage:
    """Objects under `<area>/` in one bucket; links are presigned GETs (optionally for a CDN's host)."""

    def __init__(self, area: str, bucket: str, client: Any, *, public_client: Any | None = None) -> None:
        self.area = area
        self.bucket = bucket
        self.client = client
        self.public_client = public_client or client

    def object_key(self, key: str) -> str:
        return f"{self.area}/{check_key(key)}"

    def put_file(self, key: str, source: Path, content_type: str | None = None) -> None:
        content_type = content_type or content_type_of(key)
        extra = {"ContentType": content_type} if content_type else None
        self.client.upload_file(str(source), self.bucket, self.object_key(key), ExtraArgs=extra)

    def move_file(self, key: str, source: Path, content_type: str | None = None) -> None:
        """Upload, then drop the local copy: the object exists whole (or not at all) once this returns."""
        self.put_file(key, source, content_type)
        Path(source).unlink(missing_ok=True)

    def put_bytes(self, key: str, data: bytes, content_type: str | None = None) -> None:
        content_type = content_type or content_type_of(key)
        extra = {"ContentType": content_type} if content_type else {}
        self.client.put_object(Bucket=self.bucket, Key=self.object_key(key), Body=data, **extra)

    def get_bytes(self, key: str) -> bytes:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self.object_key(key))
        except self.client.exceptions.NoSuchKey as exc:
            raise NotFound(key) from exc
        return answer["Body"].read()

    def download(self, key: str, target: Path) -> Path:
        if not self.exists(key):
            raise NotFound(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        self.client.download_file(self.bucket, self.object_key(key), str(target))
        return target

    def _head(self, key: str) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        try:
            return self.client.head_object(Bucket=self.bucket, Key=self.object_key(key))
        except ClientError as exc:
            if s3_missing(exc):
                return None
            raise StorageError(str(exc)) from exc

    def exists(self, key: str) -> bool:
        return self._head(key) is not None

    def size(self, key: str) -> int:
        head = self._head(key)
        if head is None:
            raise NotFound(key)
        return int(head["ContentLength"])

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.object_key(key))

    def delete_prefix(self, prefix: str) -> int:
        keys = self.list(prefix)
        for start in range(0, len(keys), 1000):
            batch = [{"Key": self.object_key(key)} for key in keys[start:start + 1000]]
            self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})
        return len(keys)

    def list(self, prefix: str = "") -> list[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        keys: list[str] = []
        for page in paginator.paginate(Bucket=self.bucket, Prefix=f"{self.area}/{prefix}"):
            keys.extend(item["Key"][len(self.area) + 1:] for item in page.get("Contents", []))
        return sorted(keys)

    def signed_url(self, key: str, *, duration: float = 0.0, now: float | None = None,
                   expires: int | None = None, absolute: bool = True) -> str:
        if self.area != MEDIA:
            raise ValueError("only media is served to browsers")
        moment = now if now is not None else time.time()
        if expires is None:
            expires = rounded_expiry(link_ttl(duration), moment)
        ttl = max(1, min(S3_MAX_TTL, int(expires - moment)))
        return self.public_client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": self.object_key(key)}, ExpiresIn=ttl)


def s3_missing(error: Any) -> bool:
    """Whether a botocore `ClientError` says there is no such object (HEAD answers a bare 404)."""
    return error.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}


def s3_client(endpoint_url: str | None = None) -> Any:
    """A boto3 S3 client from the environment and the mounted secrets (path-style, which MinIO needs)."""
    endpoint = endpoint_url if endpoint_url is not None else os.environ.get("S3_ENDPOINT_URL") or None
    return _client(endpoint, os.environ.get("S3_REGION", "us-east-1"),
                   read_secret("s3-access-key", "S3_ACCESS_KEY"), read_secret("s3-secret-key", "S3_SECRET_KEY"))


@functools.lru_cache(maxsize=8)
def _client(endpoint: str | None, region: str, access_key: str, secret_key: str) -> Any:
    """Clients are kept: building one costs tens of milliseconds, and a catalog page signs many links."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"},
                      retries={"max_attempts": 5, "mode": "standard"}),
    )


def backend_name() -> str:
    name = os.environ.get("STORAGE_BACKEND", "local").strip().lower() or "local"
    if name not in {"local", "s3"}:
        raise ValueError(f"STORAGE_BACKEND must be local or s3, not {name!r}")
    return name


def storage(area: str) -> Storage:
    """The configured backend for `media` or `uploads`."""
    if area not in AREAS:
        raise ValueError(f"unknown storage area {area!r}")
    if backend_name() == "s3":
        bucket = os.environ.get("S3_BUCKET", "")
        if not bucket:
            raise ValueError("S3_BUCKET is required when STORAGE_BACKEND=s3")
        client = s3_client()
        public = os.environ.get("S3_PUBLIC_URL")
        return S3Storage(area, bucket, client, public_client=s3_client(public) if public else None)
    cfg = settings()
    return LocalStorage(area, cfg.media_dir if area == MEDIA else cfg.upload_dir, public_url=cfg.public_url)


def readable_path(store: Storage, key: str, scratch: Path) -> Path:
    """A file ffmpeg can read: the stored file itself on the local backend, else a download into `scratch`
    (kept, so a second job of the same item on this machine reuses it)."""
    if isinstance(store, LocalStorage):
        path = store.path(key)
        if not path.is_file():
            raise NotFound(key)
        return path
    target = scratch / hashlib.sha256(f"{store.area}/{key}".encode()).hexdigest()
    if target.is_file():
        return target
    partial = target.with_name(target.name + ".part")
    store.download(key, partial)
    os.replace(partial, target)
    return target


def media() -> Storage:
    return storage(MEDIA)


def uploads() -> Storage:
    return storage(UPLOADS)


def prepare_bucket() -> str:
    """Create the S3 bucket when missing and let the app's own origin (`PUBLIC_URL`) read it from the page.

    The page fetches subtitle tracks and the seek-preview map itself, and browsers allow that across origins
    only with CORS; the bucket stays private (every read still needs a signed link). Returns what was done.
    """
    if backend_name() != "s3":
        return "local storage: no bucket to prepare"
    bucket = os.environ.get("S3_BUCKET", "")
    if not bucket:
        raise ValueError("S3_BUCKET is required when STORAGE_BACKEND=s3")
    client = s3_client()
    try:
        client.create_bucket(Bucket=bucket)
        done = f"bucket {bucket} created"
    except client.exceptions.BucketAlreadyOwnedByYou:
        done = f"bucket {bucket} exists"
    origin = settings().public_url.rstrip("/")
    if origin:
        rule = {"AllowedOrigins": [origin], "AllowedMethods": ["GET", "HEAD"], "AllowedHeaders": ["*"],
                "MaxAgeSeconds": 3600}
        client.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [rule]})
        done += f"; {origin} may read it from the page"
    return done


if __name__ == "__main__":
    import sys

    if sys.argv[1:] != ["prepare-bucket"]:
        raise SystemExit("usage: python -m flmnchll.storage prepare-bucket")
    print(prepare_bucket())
