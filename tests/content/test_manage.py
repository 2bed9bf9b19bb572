"""After ready: thumbnails, subtitles, admin edits (app and faas-cli), re-processing, deletion, solo progress
and views, and S3 bucket notifications."""

from __future__ import annotations

import secrets
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.content.conftest import Uploads, content_id_of, item, lavfi, make_clip, wait_field, wait_for

pytestmark = pytest.mark.slow
RUN = secrets.token_hex(3)
SRT = "1\n00:00:00,200 --> 00:00:01,200\nHello there\n"


def png(width: int = 4, height: int = 4) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


@pytest.fixture(scope="module")
def ready_item(content_stack: Any, uploads: Uploads, admin_token: str, clips: Path) -> str:
    """A 2 s clip with an English text subtitle track, processed to ready."""
    subtitles = clips / "track.srt"
    subtitles.write_text(SRT)
    clip = make_clip(clips, "with-subs.mkv", *lavfi("426x240", 2), "-i", str(subtitles), "-map", "0:v",
                     "-map", "1:a", "-map", "2:s", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                     "-c:a", "aac", "-c:s", "srt", "-metadata:s:s:0", "language=eng", "-t", "2")
    content_id = content_id_of(content_stack, uploads.upload(clip, admin_token, title=f"manage {RUN}",
                                                            description="first words"))
    assert wait_for(content_stack, admin_token, content_id)["status"] == "ready"
    return content_id


def test_poster_sprite_and_map(content_stack: Any, admin_token: str, ready_item: str) -> None:
    current = wait_field(content_stack, admin_token, ready_item, "preview")
    poster = requests.get(content_stack.front_url + current["thumbnail"], timeout=10)
    assert poster.status_code == 200 and poster.content[:3] == b"\xff\xd8\xff"
    sprite = requests.get(content_stack.front_url + current["preview"]["sprite"], timeout=10)
    assert sprite.status_code == 200 and sprite.content[:3] == b"\xff\xd8\xff"
    vtt = requests.get(content_stack.front_url + current["preview"]["vtt"], timeout=10).text
    assert vtt.startswith("WEBVTT") and "sprite.jpg#xywh=0,0,160,90" in vtt
    assert current["preview"]["count"] == 2


def test_text_tracks_are_extracted_and_admins_add_more(content_stack: Any, admin_token: str,
                                                       ready_item: str) -> None:
    current = wait_field(content_stack, admin_token, ready_item, "subtitles")
    english = next(s for s in current["subtitles"] if s["lang"] == "en")
    assert english["label"] == "English"
    text = requests.get(content_stack.front_url + english["url"], timeout=10).text
    assert text.startswith("WEBVTT") and "Hello there" in text
    added = content_stack.call("content", f"{ready_item}/subtitles", token=admin_token, json={
        "lang": "fr", "label": "Français", "format": "srt", "text": "1\n00:00:00,000 --> 00:00:01,000\nSalut\n"})
    assert added.status_code == 201, added.text
    french = next(s for s in added.json()["subtitles"] if s["lang"] == "fr")
    served = requests.get(content_stack.front_url + french["url"], timeout=10).text
    assert served.startswith("WEBVTT") and "00:00:00.000 --> 00:00:01.000\nSalut" in served
    bad = content_stack.call("content", f"{ready_item}/subtitles", token=admin_token,
                             json={"lang": "de", "format": "vtt", "text": "no cues"})
    assert bad.status_code == 400


def test_admins_edit_and_viewers_see_it(content_stack: Any, admin_token: str, ready_item: str) -> None:
    viewer = content_stack.signup_login("editor")
    refused = content_stack.call("content", ready_item, method="PATCH", token=viewer["token"], json={"title": "x"})
    assert refused.status_code == 403
    new_title = f"renamed {RUN}"
    edited = content_stack.call("content", ready_item, method="PATCH", token=admin_token,
                                json={"title": new_title, "description": "new words"})
    assert edited.status_code == 200 and edited.json()["title"] == new_title
    seen = content_stack.call("list-content", f"?q={new_title}", method="GET", token=viewer["token"]).json()
    assert [(i["id"], i["description"]) for i in seen["items"]] == [(ready_item, "new words")]
    image = png()
    replaced = content_stack.call("content", f"{ready_item}/thumbnail", token=admin_token, data=image,
                                  headers={"Content-Type": "image/png"})
    assert replaced.status_code == 200, replaced.text
    assert requests.get(content_stack.front_url + replaced.json()["thumbnail"], timeout=10).content == image
    assert content_stack.call("content", f"{ready_item}/thumbnail", token=admin_token, data=b"not an image",
                              headers={"Content-Type": "image/png"}).status_code == 400


def test_faas_cli_signed_admin_task(content_stack: Any, ready_item: str) -> None:
    body = content_stack.admin_task("content", {"action": "update", "id": ready_item, "description": "signed"})
    done = content_stack.faas_cli("invoke", "content", "-g", content_stack.gateway_url, "--sign", "X-Hub-Signature",
                                  "--key", content_stack.secret("admin-task-key"), input=body)
    assert done.returncode == 0, done.stderr
    assert content_stack.db().content.find_one({"_id": ready_item})["description"] == "signed"
    forged = content_stack.faas_cli("invoke", "content", "-g", content_stack.gateway_url, "--sign", "X-Hub-Signature",
                                    "--key", "wrong", input=body)
    assert forged.returncode != 0


def test_solo_progress_and_one_view_per_day(content_stack: Any, ready_item: str) -> None:
    viewer = content_stack.signup_login("watcher")
    views_before = int(content_stack.redis().hget("views:per-content", ready_item) or 0)
    first = content_stack.call("content", f"{ready_item}/progress", token=viewer["token"],
                               json={"position": 1.0, "playing_seconds": 3})
    assert first.status_code == 200 and first.json()["view_counted"] is False
    second = content_stack.call("content", f"{ready_item}/progress", token=viewer["token"],
                                json={"position": 1.5, "playing_seconds": 3})
    assert second.json()["view_counted"] is True
    again = content_stack.call("content", f"{ready_item}/progress", token=viewer["token"],
                               json={"position": 2.0, "playing_seconds": 10})
    assert again.json()["view_counted"] is False
    assert int(content_stack.redis().hget("views:per-content", ready_item) or 0) == views_before + 1
    mine = content_stack.call("content", "progress", method="GET", token=viewer["token"]).json()["items"]
    assert [(p["content_id"], p["position"]) for p in mine] == [(ready_item, 2.0)]


def test_reprocess_then_delete(content_stack: Any, uploads: Uploads, admin_token: str, clips: Path) -> None:
    clip = make_clip(clips, "short.mp4", *lavfi("320x240", 1, audio=False), "-c:v", "libx264", "-preset",
                     "ultrafast", "-pix_fmt", "yuv420p")
    content_id = content_id_of(content_stack, uploads.upload(clip, admin_token, title=f"redo {RUN}"))
    first = wait_for(content_stack, admin_token, content_id)
    assert first["status"] == "ready"
    again = content_stack.call("content", f"{content_id}/reprocess", token=admin_token)
    assert again.status_code == 202 and again.json()["status"] == "processing"
    second = wait_for(content_stack, admin_token, content_id)
    assert second["status"] == "ready" and second["generation"] == 2 and len(second["renditions"]) == 2
    link = second["renditions"][0]["url"]
    upload_id = content_stack.db().content.find_one({"_id": content_id})["upload_id"]
    upload_file = Path(content_stack.env["UPLOAD_DIR"]) / upload_id
    assert upload_file.exists()
    assert content_stack.call("content", content_id, method="DELETE", token=admin_token).status_code == 200
    assert content_stack.call("list-content", content_id, method="GET", token=admin_token).status_code == 404
    assert requests.get(content_stack.front_url + link, timeout=10).status_code == 404
    assert not upload_file.exists()
    content_stack.wait_until(lambda: not (Path(content_stack.env["MEDIA_DIR"]) / content_id).exists(), timeout=20)


def test_s3_notifications_create_one_item(content_stack: Any, admin_token: str) -> None:
    key = f"incoming/holiday-{RUN}.mp4"
    event = {"EventName": "s3:ObjectCreated:Put", "Key": f"media/{key}", "Records": [{
        "eventVersion": "2.0", "eventSource": "minio:s3", "eventName": "s3:ObjectCreated:Put",
        "s3": {"bucket": {"name": "media"}, "object": {"key": key.replace("/", "%2F"), "size": 1234,
                                                       "eTag": "abc123"}}}]}
    refused = content_stack.call("upload-hook", json=event)
    assert refused.status_code == 401
    bearer = {"Authorization": f"Bearer {content_stack.secret('service-key')}"}
    first = content_stack.call("upload-hook", json=event, headers=bearer)
    second = content_stack.call("upload-hook", json=event, headers=bearer)
    assert first.status_code == 200 and first.json()["items"] == second.json()["items"]
    (content_id,) = first.json()["items"]
    current = item(content_stack, admin_token, content_id)
    assert current["title"] == f"holiday-{RUN}" and current["status"] in ("processing", "failed")
    # The object's storage is out of reach here: its job is retried for a minute and more. Deleting the item
    # meanwhile cancels it.
    assert content_stack.call("content", content_id, method="DELETE", token=admin_token).status_code == 200
    assert content_stack.call("list-content", content_id, method="GET", token=admin_token).status_code == 404
