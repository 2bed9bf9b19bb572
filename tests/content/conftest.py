"""Fixtures of the content tests: tiny generated clips, tus uploads through the real tusd, waiting for items.

Uploads go through the front door (`/uploads/`, where nginx adds the hook secret that tusd forwards), to the
instance's own tusd: its flags are the production ones (ops.components), so nothing here starts a tusd of its own.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from flmnchll import config
from flmnchll.content.tus import TusUpload, upload_file
from tests.scripted_server import ScriptedServer

WORKERS = ("worker-transcode-0", "worker-downscale-0")


@dataclass
class Uploads:
    url: str
    headers: dict[str, str] = field(default_factory=dict)

    def upload(self, path: Path, token: str, **metadata: str) -> TusUpload:
        return upload_file(self.url, path, token, metadata, extra_headers=self.headers)

    def create(self, token: str | None, size: int, metadata: dict[str, str]) -> requests.Response:
        headers = {"Tus-Resumable": "1.0.0", "Upload-Length": str(size), **self.headers}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        from flmnchll.content.tus import encode_metadata

        headers["Upload-Metadata"] = encode_metadata(metadata)
        return requests.post(self.url, headers=headers, timeout=30)


@pytest.fixture(scope="session")
def content_stack(stack: Any) -> Any:
    """The test instance with both kinds of workers running."""
    for name in WORKERS:
        if not stack.component_pid(name):
            stack.start_component(name)
    return stack


@pytest.fixture(scope="session")
def admin_token(content_stack: Any) -> str:
    return content_stack.admin_token()


@pytest.fixture(scope="session")
def uploads(content_stack: Any) -> Uploads:
    """tus through the front door, which adds the service key that tusd forwards to upload-hook."""
    return Uploads(f"{content_stack.front_url}/uploads/")


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("clips")


def make_clip(folder: Path, name: str, *args: str) -> Path:
    target = folder / name
    if not target.exists():
        subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *args, str(target)], check=True)
    return target


def lavfi(size: str, seconds: float, audio: bool = True, rate: int = 25) -> list[str]:
    video = ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}:duration={seconds}"]
    sound = ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"] if audio else []
    return [*video, *sound]


def item(stack: Any, token: str, content_id: str) -> dict[str, Any]:
    response = stack.call("list-content", content_id, method="GET", token=token)
    assert response.status_code == 200, response.text
    return response.json()


def wait_field(stack: Any, token: str, content_id: str, name: str, timeout: float = 60) -> dict[str, Any]:
    """The item once `name` is filled in: thumbnails and subtitles arrive a moment after "ready"."""
    return stack.wait_until(lambda: (lambda current: current if current.get(name) else None)(
        item(stack, token, content_id)), timeout=timeout)


def wait_for(stack: Any, token: str, content_id: str, statuses: tuple[str, ...] = ("ready", "failed"),
             timeout: float = 120.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        current = item(stack, token, content_id)
        if current["status"] in statuses:
            return current
        if time.monotonic() > deadline:
            raise AssertionError(f"{content_id} still {current['status']} ({current.get('progress')}%) "
                                 f"after {timeout}s: {current}")
        time.sleep(0.5)


def content_id_of(stack: Any, upload: TusUpload, timeout: float = 20.0) -> str:
    """The item made from an upload: the pre-finish answer's header, else looked up by upload id."""
    if upload.content_id:
        return upload.content_id
    upload_id = (upload.location or "").rstrip("/").rsplit("/", 1)[-1]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = stack.db().content.find_one({"upload_id": upload_id})
        if found:
            return str(found["_id"])
        time.sleep(0.2)
    raise AssertionError(f"no item for upload {upload_id}")


def ffmpeg_pids(needle: str) -> list[int]:
    """ffmpeg processes (Debian's or the pinned `ffmpeg-linux-x86_64-v9.0.2`) whose command line mentions
    `needle`."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        parts = raw.split(b"\0")
        if parts and parts[0].rsplit(b"/", 1)[-1].startswith(b"ffmpeg") and needle.encode() in raw:
            found.append(int(entry))
    return found


SERVICE_KEY = "service key of the tests"


@pytest.fixture
def manager(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ScriptedServer]:
    """The content manager, answering 200 unless a test scripts otherwise."""
    server = ScriptedServer([200])
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "service-key").write_text(SERVICE_KEY)
    monkeypatch.setenv("SECRETS_DIR", str(tmp_path / "secrets"))
    monkeypatch.setenv("GATEWAY_URL", server.url)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("STORAGE_BACKEND", "local")  # a job's own folder, whatever other tests point at
    monkeypatch.setenv("MEDIA_DIR", str(tmp_path / "media"))
    config.settings.cache_clear()
    yield server
    server.close()
    config.settings.cache_clear()
