"""The test instance's front door (the local rendering of the one template): hardening headers on every answer,
and no signed link or peer token in its logs."""

from __future__ import annotations

import secrets as random
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from flmnchll.storage import secure_link_signature
from tests.deploy.test_front_door import assert_browser_hardening


@pytest.mark.parametrize(("path", "status"), [("/", 200), ("/rooms/abc", 200), ("/assets/missing.js", 404),
                                              ("/media/a/720p.mp4", 403), ("/function/clock", 200),
                                              ("/function/no-such-function", 404)])
def test_every_answer_carries_the_browser_hardening_headers(stack: Any, path: str, status: int) -> None:
    answer = requests.get(stack.front_url + path, timeout=10)
    assert answer.status_code == status
    assert_browser_hardening(answer.headers, stack.front_url.removeprefix("http://"))


def logged(path: Path, marker: str, timeout: float = 5.0) -> str:
    """The log's text once a line naming `marker` is in it."""
    deadline = time.monotonic() + timeout
    while True:
        text = path.read_text(errors="replace") if path.exists() else ""
        if marker in text or time.monotonic() > deadline:
            return text
        time.sleep(0.1)


def test_signed_links_and_peer_tokens_stay_out_of_the_logs(stack: Any) -> None:
    content_id = f"log-{random.token_hex(4)}"
    uri, expires = f"/media/{content_id}/720p.mp4", int(time.time()) + 3600
    signature = secure_link_signature(uri, expires, stack.secret("media-secret"))
    media = requests.get(f"{stack.front_url}{uri}?md5={signature}&expires={expires}", timeout=10)
    assert media.status_code == 404  # signed and checked, but no such file: the request did reach /media/

    token = random.token_urlsafe(16)
    peer_path = f"/peerjs/{stack.instance.peer_ports[0]}/peerjs/id"
    peer = requests.get(f"{stack.front_url}{peer_path}?ts=1&token={token}", timeout=10)
    assert peer.status_code == 200  # the pool member answered

    item = random.token_hex(8)  # a stream's signature is in its path: /media/s/EXPIRES/SIGNATURE/ID/hls/...
    stream_signature = secure_link_signature(f"/media/{item}/hls/", expires, stack.secret("media-secret"))
    playlist = stack.instance.data_dir / "media" / item / "hls" / "master.m3u8"
    playlist.parent.mkdir(parents=True)
    playlist.write_text("#EXTM3U\n")
    try:
        stream = requests.get(f"{stack.front_url}/media/s/{expires}/{stream_signature}/{item}/hls/master.m3u8",
                              timeout=10)
    finally:
        shutil.rmtree(playlist.parent.parent)
    assert stream.status_code == 200 and stream.headers["Cache-Control"] == "no-cache"
    assert_browser_hardening(stream.headers, stack.front_url.removeprefix("http://"))

    access = logged(stack.instance.logs_dir / "nginx-access.log", item)
    assert f"GET {uri}?[redacted] " in access and f"GET {peer_path}?[redacted] " in access
    assert f"GET /media/s/{expires}/[redacted]/{item}/hls/master.m3u8 " in access
    errors = (stack.instance.logs_dir / "nginx.log").read_text(errors="replace")
    for secret in (signature, token, stream_signature):
        assert secret not in access and secret not in errors


def test_the_apps_files_arrive_compressed_and_function_answers_do_not(stack: Any) -> None:
    """A phone fetches a third of the app's code; answers that carry tokens are never compressed (BREACH)."""
    page = requests.get(stack.front_url + "/", timeout=10)
    script = next(part.split('"')[0] for part in page.text.split('src="')[1:] if part.startswith("/assets/"))
    gzip = {"Accept-Encoding": "gzip"}
    packed = requests.get(stack.front_url + script, headers=gzip, stream=True, timeout=10)
    assert packed.headers.get("Content-Encoding") == "gzip"
    raw_size = len(packed.raw.read())
    plain = requests.get(stack.front_url + script, headers={"Accept-Encoding": "identity"}, timeout=10)
    assert "Content-Encoding" not in plain.headers
    assert raw_size < len(plain.content) / 2
    assert requests.get(stack.front_url + script, headers=gzip, timeout=10).content == plain.content

    # the operators' figures: a few kB of JSON, asked for with an admin's token
    answer = requests.get(stack.front_url + "/function/stats", timeout=10,
                          headers={**gzip, "Authorization": f"Bearer {stack.admin_token()}"})
    assert answer.status_code == 200 and len(answer.content) > 1024
    assert "Content-Encoding" not in answer.headers
