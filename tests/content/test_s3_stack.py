"""The content path on object storage, as production runs it: an instance with `STORAGE_BACKEND=s3` (a
SeaweedFS bucket; tusd writing uploads into it) takes an upload through the front door, the real workers
transcode it from the bucket and publish into it, and every file is served by presigned links that the S3
server itself checks. The instance has its own ports and folders and is stopped afterwards.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import urljoin

import boto3
import pytest
import requests

from flmnchll.content import links
from flmnchll.media import hls
from ops.instance import S3_BUCKET
from tests.conftest import PrivateInstance, Stack
from tests.content.conftest import Uploads, content_id_of, lavfi, make_clip, wait_field, wait_for
from tests.deploy.test_front_door import assert_browser_hardening

# S3_TEST_PORT_OFFSET keeps instances of suites run side by side apart
PRIVATE = PrivateInstance("s3test", {"STORAGE_BACKEND": "s3",
                                     "PORT_OFFSET": os.environ.get("S3_TEST_PORT_OFFSET", "13000")})


@pytest.fixture(scope="module")
def s3_stack() -> Iterator[Stack]:
    instance = PRIVATE.load()
    PRIVATE.ops("down")  # one left behind by an interrupted run
    PRIVATE.ops("start")
    try:
        yield Stack(instance)
    finally:
        PRIVATE.ops("down")


@pytest.fixture(scope="module")
def bucket(s3_stack: Stack) -> Any:
    """The instance's bucket, read with the instance's own keys."""
    client = boto3.client("s3", endpoint_url=s3_stack.instance.url("s3"), region_name="us-east-1",
                          aws_access_key_id=s3_stack.secret("s3-access-key"),
                          aws_secret_access_key=s3_stack.secret("s3-secret-key"))

    def keys(prefix: str) -> list[str]:
        listed = client.list_objects_v2(Bucket=S3_BUCKET, Prefix=prefix).get("Contents", [])
        return sorted(entry["Key"] for entry in listed)

    return keys


def probe(url: str) -> dict[str, Any]:
    """ffprobe reading the file over HTTP, as a player would (ranges on a presigned link)."""
    out = subprocess.run(["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", url],
                         capture_output=True, text=True, check=True, timeout=60)
    return json.loads(out.stdout)


def links_expired(stack: Stack, content_id: str) -> str:
    """An expired stream link of the instance's item, signed with its media secret."""
    with mock.patch.dict(os.environ, {"MEDIA_SECRET": stack.secret("media-secret"), "STORAGE_BACKEND": "s3"}):
        return urljoin(stack.front_url + "/", links.stream_url(content_id, expires=int(time.time()) - 5))


def test_upload_is_transcoded_and_served_from_the_bucket(s3_stack: Stack, bucket: Any, tmp_path: Path) -> None:
    token = s3_stack.admin_token()
    clip = make_clip(tmp_path, "s3.mp4", *lavfi("640x360", 2), "-c:v", "libx264", "-preset", "ultrafast",
                     "-pix_fmt", "yuv422p", "-c:a", "aac", "-shortest")  # 4:2:2: every rendition is encoded
    upload = Uploads(f"{s3_stack.front_url}/uploads/").upload(clip, token, title="on object storage")
    content_id = content_id_of(s3_stack, upload)
    upload_id = (upload.location or "").rstrip("/").rsplit("/", 1)[-1].split("+")[0]
    assert any(key.startswith(f"uploads/{upload_id}") for key in bucket("uploads/")), "no upload in the bucket"

    assert wait_for(s3_stack, token, content_id)["status"] == "ready"
    wanted = {f"media/{content_id}/{name}" for name in ("360p.mp4", "360p.webm", "poster.jpg", "sprite.jpg")}
    s3_stack.wait_until(lambda: wanted <= set(bucket(f"media/{content_id}/")))  # thumbnails follow "ready"
    item = wait_field(s3_stack, token, content_id, "preview")  # listed once the worker's event is in

    s3_origin = s3_stack.instance.url("s3")
    # The page may load media, previews and segments from the bucket: the front door's policy names its origin.
    page = requests.get(s3_stack.front_url + "/", timeout=10)
    assert_browser_hardening(page.headers, s3_stack.front_url.removeprefix("http://"), (s3_origin,))
    for rendition in item["renditions"]:
        url = rendition["url"]
        assert url.startswith(f"{s3_origin}/{S3_BUCKET}/media/{content_id}/") and "X-Amz-Signature=" in url
        part = requests.get(url, headers={"Range": "bytes=0-99", "Origin": s3_stack.front_url}, timeout=10)
        assert part.status_code == 206 and len(part.content) == 100
        assert part.headers.get("Access-Control-Allow-Origin") == s3_stack.front_url  # the player's CORS mode
        streams = {s["codec_type"]: s for s in probe(url)["streams"]}
        assert streams["video"]["codec_name"] == {"mp4": "h264", "webm": "vp9"}[rendition["container"]]
        assert (streams["video"]["width"], streams["video"]["height"]) == (640, 360)
        assert "audio" in streams
        altered = url.replace(rendition["name"], "other.mp4")
        assert requests.get(altered, timeout=10).status_code == 403

    # The stream: playlists from list-content under the signed prefix, segments straight from the bucket with
    # their own presigned links, readable from the app's page (hls.js fetches them).
    master_url = urljoin(s3_stack.front_url + "/", item["stream"]["url"])
    master = requests.get(master_url, timeout=10)
    assert master.status_code == 200 and master.headers["Content-Type"] == hls.MIME, master.text
    variants = [line for line in master.text.splitlines() if line and not line.startswith("#")]
    assert sorted(variants) == ["360p-h264/index.m3u8", "360p-vp9/index.m3u8"]
    for variant in variants:
        media_url = urljoin(master_url, variant)
        playlist = requests.get(media_url, timeout=10).text
        assert hls.ended(playlist), playlist
        segments = [hls.map_uri(playlist) or "", *(s.uri for s in hls.segments(playlist))]
        assert all(uri.startswith(f"{s3_origin}/{S3_BUCKET}/media/{content_id}/hls/") and "X-Amz-Signature=" in uri
                   for uri in segments), playlist
        fetched = [requests.get(uri, headers={"Origin": s3_stack.front_url}, timeout=10) for uri in segments]
        assert all(r.status_code == 200 and r.headers.get("Access-Control-Allow-Origin") == s3_stack.front_url
                   for r in fetched)
        joined = tmp_path / variant.replace("/", "-")
        joined.write_bytes(b"".join(r.content for r in fetched))
        codec = probe(str(joined))["streams"][0]["codec_name"]
        assert codec == ("h264" if "h264" in variant else "vp9")
    assert requests.get(master_url.replace("/hls/", "/hls/x", 1), timeout=10).status_code in (403, 404)
    assert requests.get(links_expired(s3_stack, content_id), timeout=10).status_code == 403

    # The page reads subtitle tracks and the preview map itself: the bucket lets the app's origin do that.
    preview = requests.get(item["preview"]["vtt"], headers={"Origin": s3_stack.front_url}, timeout=10)
    assert preview.status_code == 200 and preview.text.startswith("WEBVTT")
    assert preview.headers.get("Access-Control-Allow-Origin") == s3_stack.front_url
    assert requests.get(item["preview"]["vtt"], headers={"Origin": "http://elsewhere.example"},
                        timeout=10).headers.get("Access-Control-Allow-Origin") is None

    assert s3_stack.call("content", content_id, method="DELETE", token=token).status_code == 200
    assert bucket(f"media/{content_id}/") == []
