"""A small tus 1.0 client (creation + core protocol), for seeding demo content and for tests and scripts.

Uploads go through the same front door and hooks as the app's uploads: POST with `Upload-Length` and
base64 `Upload-Metadata` creates the upload (the pre-create hook decides), then PATCHes send the bytes
from the server's offset, so an interrupted upload resumes where the server stopped.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin

import requests

TUS_VERSION = "1.0.0"
CHUNK = 8 * 1024 * 1024


class TusError(RuntimeError):
    def __init__(self, message: str, response: requests.Response | None = None) -> None:
        super().__init__(message)
        self.response = response
        self.status = response.status_code if response is not None else None


def encode_metadata(metadata: dict[str, str]) -> str:
    """`key base64(value)` pairs, comma separated, as tus 1.0 defines Upload-Metadata."""
    return ",".join(f"{key} {base64.b64encode(value.encode()).decode()}" for key, value in metadata.items())


@dataclass
class TusUpload:
    endpoint: str
    headers: dict[str, str] = field(default_factory=dict)
    timeout: float = 60.0
    location: str | None = None
    content_id: str | None = None

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {"Tus-Resumable": TUS_VERSION, **self.headers, **(extra or {})}

    def create(self, size: int, metadata: dict[str, str]) -> str:
        response = requests.post(self.endpoint, headers=self._headers(
            {"Upload-Length": str(size), "Upload-Metadata": encode_metadata(metadata), "Content-Length": "0"}),
            timeout=self.timeout)
        if response.status_code != 201 or "Location" not in response.headers:
            raise TusError(f"upload refused: {response.status_code} {response.text[:300]}", response)
        self.location = urljoin(self.endpoint, response.headers["Location"])
        return self.location

    def offset(self) -> int:
        response = requests.head(self.location or "", headers=self._headers(), timeout=self.timeout)
        if response.status_code != 200:
            raise TusError(f"cannot resume: {response.status_code}", response)
        return int(response.headers.get("Upload-Offset", "0"))

    def send(self, data: bytes, chunk_size: int = CHUNK) -> None:
        """PATCH `data` from the server's current offset until complete."""
        offset = self.offset() if self.location else 0
        while offset < len(data):
            piece = data[offset:offset + chunk_size]
            response = requests.patch(self.location or "", data=piece, timeout=self.timeout, headers=self._headers({
                "Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"}))
            if response.status_code != 204:
                raise TusError(f"upload failed at byte {offset}: {response.status_code} {response.text[:300]}",
                               response)
            offset = int(response.headers.get("Upload-Offset", offset + len(piece)))
            self.content_id = response.headers.get("X-Content-Id") or self.content_id


def upload_file(endpoint: str, path: Path, token: str, metadata: dict[str, str] | None = None,
                chunk_size: int = CHUNK, extra_headers: dict[str, str] | None = None) -> TusUpload:
    """Upload a file as the holder of `token`; returns the upload (its `content_id` when the server said)."""
    data = path.read_bytes()
    upload = TusUpload(endpoint, headers={"Authorization": f"Bearer {token}", **(extra_headers or {})})
    upload.create(len(data), {"filename": path.name, **(metadata or {})})
    upload.send(data, chunk_size)
    return upload
