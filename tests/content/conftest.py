"""Fixtures of the content tests: tiny generated clips, tus uploads through the real tusd, waiting for items.

Uploads go through the front door (`/uploads/`, where nginx adds the hook secret that tusd forwards). When
the front door of the instance does not pass that secret yet, a private tusd with the same flags is started
on a free port and the test client supplies the header nginx would add.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from flmnchll.content.tus import TusUpload, upload_file

WORKERS = ("worker-transcode-0", "worker-downscale-0")


@dataclass
class Uploads:
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    front_door: bool = True

    def upload(self, path: Path, token: str, **metadata: str) -> TusUpload:
        return upload_file(self.url, path, token, metadata, extra_headers=self.headers)

    def create(self, token: str | None, size: int, metadata: dict[str, str]) -> requests.Response:
        headers = {"Tus-Resumable": "1.0.0", "Upload-Length": str(size), **self.headers}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        from flmnchll.content.tus import encode_metadata

        headers["Upload-Metadata"] = encode_metadata(metadata)
        return requests.post(self.url, headers=headers, timeout=30)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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
def uploads(content_stack: Any, admin_token: str) -> Iterator[Uploads]:
    front = Uploads(f"{content_stack.front_url}/uploads/")
    probe = front.create(admin_token, 1, {"filename": "probe.mp4"})
    if probe.status_code == 201:
        requests.delete(requests.compat.urljoin(front.url, probe.headers["Location"]),
                        headers={"Tus-Resumable": "1.0.0", "Authorization": f"Bearer {admin_token}"}, timeout=10)
        yield front
        return
    port = _free_port()
    env = content_stack.env
    command = [str(content_stack.instance.tools_bin / "tusd"), "-host", "127.0.0.1", "-port", str(port),
               "-base-path", "/uploads/", "-upload-dir", env["UPLOAD_DIR"], "-behind-proxy",
               "-hooks-http", f"{content_stack.gateway_url}/function/upload-hook",
               "-hooks-http-forward-headers", "Authorization,X-Internal-Secret",
               "-hooks-enabled-events", "pre-create,pre-finish,post-finish", "-disable-download",
               "-show-greeting=false"]
    log = open(content_stack.instance.logs_dir / "tusd-content-tests.log", "ab")  # noqa: SIM115
    process = subprocess.Popen(command, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                requests.options(f"http://127.0.0.1:{port}/uploads/", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        yield Uploads(f"http://127.0.0.1:{port}/uploads/",
                      {"X-Internal-Secret": content_stack.secret("service-key")}, front_door=False)
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


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
    """ffmpeg processes whose command line mentions `needle`."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        parts = raw.split(b"\0")
        if parts and parts[0].endswith(b"ffmpeg") and needle.encode() in raw:
            found.append(int(entry))
    return found
