"""Upload → transcode → ready, against the real tusd, gateway, Redis, RQ workers, ffmpeg and FerretDB.

Every clip is uploaded when the module starts, so the workers process them while the first tests wait.
Each rendition is fetched through the front door's signed link and probed with ffprobe.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from flmnchll.content import links
from tests.content.conftest import (
    Uploads,
    content_id_of,
    ffmpeg_pids,
    item,
    lavfi,
    make_clip,
    wait_for,
)

pytestmark = pytest.mark.slow
RUN = secrets.token_hex(3)


def rotated(folder: Path) -> Path:
    """A phone-style clip: stored landscape 320x240, flagged to be shown rotated 90° (portrait), silent."""
    plain = make_clip(folder, "phone-plain.mp4", *lavfi("320x240", 1.5, audio=False), "-c:v", "libx264",
                      "-preset", "ultrafast", "-pix_fmt", "yuv420p")
    return make_clip(folder, "phone.mp4", "-i", str(plain), "-c", "copy", "-metadata:s:v:0", "rotate=90")


@pytest.fixture(scope="module")
def uploaded(content_stack: Any, uploads: Uploads, admin_token: str, clips: Path) -> dict[str, str]:
    files = {
        "hd": make_clip(clips, "hd720.mp4", *lavfi("1280x720", 2), "-c:v", "libx264", "-preset", "ultrafast",
                        "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest"),
        "small": make_clip(clips, "small.webm", *lavfi("320x240", 2), "-c:v", "libvpx-vp9", "-deadline",
                           "realtime", "-cpu-used", "8", "-c:a", "libopus", "-shortest"),
        "portrait": rotated(clips),
    }
    corrupt = clips / "corrupt.mp4"
    corrupt.write_bytes(os.urandom(64 * 1024))
    files["corrupt"] = corrupt
    whole = make_clip(clips, "whole.mov", *lavfi("320x240", 2), "-c:v", "libx264", "-preset", "ultrafast",
                      "-c:a", "aac", "-shortest")
    truncated = clips / "truncated.mov"
    truncated.write_bytes(whole.read_bytes()[: whole.stat().st_size * 2 // 3])
    files["truncated"] = truncated
    ids = {}
    for key, path in files.items():
        upload = uploads.upload(path, admin_token, title=f"pipeline {key} {RUN}")
        ids[key] = content_id_of(content_stack, upload)
    return ids


def download(stack: Any, url: str, target: Path) -> Path:
    response = requests.get(stack.front_url + url, timeout=30)
    assert response.status_code == 200, (url, response.status_code)
    target.write_bytes(response.content)
    return target


def ffprobe(path: Path) -> dict[str, Any]:
    done = subprocess.run(["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams",
                           str(path)], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def mp4_boxes(data: bytes) -> list[str]:
    """Top-level box types of an MP4, in file order."""
    boxes, offset = [], 0
    while offset + 8 <= len(data):
        size = int.from_bytes(data[offset:offset + 4], "big")
        kind = data[offset + 4:offset + 8].decode("latin-1")
        if size == 1:
            size = int.from_bytes(data[offset + 8:offset + 16], "big")
        elif size == 0:
            size = len(data) - offset
        boxes.append(kind)
        offset += max(size, 8)
    return boxes


def _vint(data: bytes, offset: int, keep_marker: bool) -> tuple[int, int]:
    first = data[offset]
    length = 1
    while length <= 8 and not first & (0x80 >> (length - 1)):
        length += 1
    value = first if keep_marker else first & (0xFF >> length)
    for byte in data[offset + 1:offset + length]:
        value = (value << 8) | byte
    return value, offset + length


def webm_segment_children(data: bytes) -> list[int]:
    """IDs of the Segment's children in file order (Cues 0x1C53BB6B, Cluster 0x1F43B675, ...)."""
    offset, children = 0, []
    while offset < len(data):
        element, offset = _vint(data, offset, True)
        size, offset = _vint(data, offset, False)
        if element == 0x18538067:  # Segment: walk into it
            end = len(data)
            while offset < end:
                child, offset = _vint(data, offset, True)
                child_size, offset = _vint(data, offset, False)
                children.append(child)
                if child == 0x1F43B675:
                    return children  # the first cluster is enough
                offset += child_size
            return children
        offset += size
    return children


def check_rendition(stack: Any, rendition: dict[str, Any], source: dict[str, Any], tmp: Path) -> dict[str, Any]:
    path = download(stack, rendition["url"], tmp / rendition["name"])
    probed = ffprobe(path)
    videos = [s for s in probed["streams"] if s["codec_type"] == "video"]
    audios = [s for s in probed["streams"] if s["codec_type"] == "audio"]
    assert len(videos) == 1
    expected = {"mp4": ("h264", "aac"), "webm": ("vp9", "opus")}[rendition["container"]]
    assert videos[0]["codec_name"] == expected[0]
    assert (videos[0]["width"], videos[0]["height"]) == (rendition["width"], rendition["height"])
    assert not [s for s in videos[0].get("side_data_list", []) if s.get("rotation")], "left rotated"
    assert abs(float(probed["format"]["duration"]) - source["duration"]) <= 0.5
    if source["audio"]:
        assert [a["codec_name"] for a in audios] == [expected[1]]
    else:
        assert audios == []
    data = path.read_bytes()
    if rendition["container"] == "mp4":
        boxes = mp4_boxes(data)
        assert boxes.index("moov") < boxes.index("mdat"), boxes
    else:
        children = webm_segment_children(data)
        assert 0x1C53BB6B in children, "cues must come before the first cluster"
    return probed


def test_720p_with_audio_gets_720_and_480(content_stack: Any, admin_token: str, uploaded: dict[str, str],
                                          tmp_path: Path) -> None:
    ready = wait_for(content_stack, admin_token, uploaded["hd"])
    assert ready["status"] == "ready", ready
    got = sorted((r["container"], r["width"], r["height"]) for r in ready["renditions"])
    assert got == [("mp4", 854, 480), ("mp4", 1280, 720), ("webm", 854, 480), ("webm", 1280, 720)]
    for rendition in ready["renditions"]:
        check_rendition(content_stack, rendition, {"duration": 2.0, "audio": True}, tmp_path)
    assert ready["progress"] == 100 and ready["duration"] == pytest.approx(2.0, abs=0.1)


def test_small_webm_stays_at_its_size(content_stack: Any, admin_token: str, uploaded: dict[str, str],
                                      tmp_path: Path) -> None:
    ready = wait_for(content_stack, admin_token, uploaded["small"])
    assert ready["status"] == "ready", ready
    assert sorted((r["container"], r["width"], r["height"]) for r in ready["renditions"]) == [
        ("mp4", 320, 240), ("webm", 320, 240)]
    for rendition in ready["renditions"]:
        check_rendition(content_stack, rendition, {"duration": 2.0, "audio": True}, tmp_path)


def test_rotated_phone_video_comes_out_upright_and_silent(content_stack: Any, admin_token: str,
                                                          uploaded: dict[str, str], tmp_path: Path) -> None:
    ready = wait_for(content_stack, admin_token, uploaded["portrait"])
    assert ready["status"] == "ready", ready
    assert sorted((r["container"], r["width"], r["height"]) for r in ready["renditions"]) == [
        ("mp4", 240, 320), ("webm", 240, 320)]
    for rendition in ready["renditions"]:
        check_rendition(content_stack, rendition, {"duration": 1.5, "audio": False}, tmp_path)


@pytest.mark.parametrize("key,words", [("corrupt", "not a video"), ("truncated", "incomplete")])
def test_damaged_files_fail_with_a_reason(content_stack: Any, admin_token: str, uploaded: dict[str, str],
                                          key: str, words: str) -> None:
    failed = wait_for(content_stack, admin_token, uploaded[key])
    assert failed["status"] == "failed"
    assert words in failed["error"].lower(), failed["error"]
    viewer = content_stack.signup_login("viewer")
    assert content_stack.call("list-content", uploaded[key], method="GET", token=viewer["token"]).status_code == 404


def test_viewers_see_only_ready_items_and_admins_see_progress(content_stack: Any, admin_token: str,
                                                              uploaded: dict[str, str]) -> None:
    wait_for(content_stack, admin_token, uploaded["hd"])
    wait_for(content_stack, admin_token, uploaded["corrupt"])
    viewer = content_stack.signup_login("viewer")
    listed = content_stack.call("list-content", f"?q={RUN}&per_page=50", method="GET", token=viewer["token"]).json()
    statuses = {i["id"]: i["status"] for i in listed["items"]}
    assert statuses.get(uploaded["hd"]) == "ready" and uploaded["corrupt"] not in statuses
    assert all("progress" not in i for i in listed["items"])
    mine = content_stack.call("list-content", f"?q={RUN}&per_page=50", method="GET", token=admin_token).json()
    assert {uploaded["hd"], uploaded["corrupt"]} <= {i["id"] for i in mine["items"]}
    assert all("progress" in i for i in mine["items"])
    assert content_stack.call("list-content", method="GET").status_code == 401


def test_front_door_takes_uploads(uploads: Uploads, admin_token: str) -> None:
    """nginx's /uploads/ must add the hook secret that tusd forwards (`-hooks-http-forward-headers`)."""
    created = uploads.create(admin_token, 1, {"filename": "probe.mp4"})
    assert created.status_code == 201, f"the front door's /uploads/ refused an admin: {created.text}"
    requests.delete(requests.compat.urljoin(uploads.url, created.headers["Location"]),
                    headers={"Tus-Resumable": "1.0.0", "Authorization": f"Bearer {admin_token}"}, timeout=10)


def test_non_admin_upload_is_refused_before_storing(content_stack: Any, uploads: Uploads) -> None:
    viewer = content_stack.signup_login("uploader")
    refused = uploads.create(viewer["token"], 1000, {"filename": "film.mp4"})
    assert refused.status_code == 403, refused.text
    assert "administrator" in refused.text
    anonymous = uploads.create(None, 1000, {"filename": "film.mp4"})
    assert anonymous.status_code == 401
    assert "Location" not in refused.headers and "Location" not in anonymous.headers


def test_upload_checks_size_and_filename(content_stack: Any, uploads: Uploads, admin_token: str) -> None:
    assert uploads.create(admin_token, 1000, {"filename": "notes.txt"}).status_code == 400
    assert uploads.create(admin_token, 1000, {}).status_code == 400
    assert uploads.create(admin_token, 10**15, {"filename": "huge.mp4"}).status_code == 413


def test_hook_needs_the_internal_secret(content_stack: Any) -> None:
    response = content_stack.call("upload-hook", json={"Type": "pre-create", "Event": {}})
    assert response.status_code == 401
    assert content_stack.call("upload-hook", json={"Type": "pre-create", "Event": {}}, via_front=True,
                              headers={"X-Internal-Secret": content_stack.secret("service-key")}
                              ).status_code == 401  # the front door strips it


def test_hook_checks_the_caller_before_reading_the_body(content_stack: Any) -> None:
    """Threat model, row "Hooks": a stranger learns nothing from how the hook parses, not even that it is JSON."""
    for headers in ({}, {"X-Internal-Secret": "wrong"}, {"Authorization": "Bearer wrong"},
                    {"X-Internal-Secret": content_stack.secret("internal-api-secret")}):
        response = content_stack.call("upload-hook", data=b'{"Type": "pre-create", "Event": ', headers=headers)
        assert response.status_code == 401, (headers, response.text)
        assert response.json()["error"]["code"] == "internal_only"
    trusted = content_stack.call("upload-hook", data=b'{"Type": ', headers={
        "X-Internal-Secret": content_stack.secret("service-key")})
    assert trusted.status_code == 400 and trusted.json()["error"]["code"] == "invalid_json"


def test_finishing_twice_makes_one_item(content_stack: Any, admin_token: str, uploaded: dict[str, str]) -> None:
    original = content_stack.db().content.find_one({"_id": uploaded["small"]})
    upload_id = original["upload_id"]
    event = {"Type": "post-finish", "Event": {
        "Upload": {"ID": upload_id, "Size": original["size"], "Offset": original["size"],
                   "MetaData": {"filename": "small.webm", "title": "again"},
                   "Storage": {"Type": "filestore",
                               "Path": str(Path(content_stack.env["UPLOAD_DIR"]) / upload_id)}},
        "HTTPRequest": {"Method": "PATCH", "URI": f"/uploads/{upload_id}", "RemoteAddr": "127.0.0.1:1",
                        "Header": {}}}}
    headers = {"X-Internal-Secret": content_stack.secret("service-key")}
    answers: list[requests.Response] = []
    threads = [threading.Thread(target=lambda: answers.append(
        content_stack.call("upload-hook", json=event, headers=headers))) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert {a.json()["HTTPResponse"]["Header"]["X-Content-Id"] for a in answers} == {uploaded["small"]}
    assert content_stack.db().content.count_documents({"upload_id": upload_id}) == 1


def test_hook_refuses_paths_outside_the_upload_folder(content_stack: Any) -> None:
    headers = {"X-Internal-Secret": content_stack.secret("service-key")}
    for upload_id, path in (("abc", "/etc/passwd"), ("../etc", None), ("abc", "/tmp/abc")):
        event = {"Type": "post-finish", "Event": {"Upload": {"ID": upload_id, "Size": 1, "Offset": 1,
                                                             "Storage": {"Type": "filestore", "Path": path}}}}
        response = content_stack.call("upload-hook", json=event, headers=headers)
        assert response.status_code == 400, response.text


def test_media_links_expire_and_support_ranges(content_stack: Any, admin_token: str,
                                               uploaded: dict[str, str]) -> None:
    ready = wait_for(content_stack, admin_token, uploaded["hd"])
    rendition = next(r for r in ready["renditions"] if r["name"] == "480p.mp4")
    whole = requests.get(content_stack.front_url + rendition["url"], timeout=30)
    assert whole.status_code == 200 and len(whole.content) == rendition["size"]
    part = requests.get(content_stack.front_url + rendition["url"], headers={"Range": "bytes=100-1099"}, timeout=30)
    assert part.status_code == 206
    assert part.content == whole.content[100:1100]
    assert part.headers["Content-Range"] == f"bytes 100-1099/{len(whole.content)}"
    expired = links.sign(uploaded["hd"], "480p.mp4", expires=int(time.time()) - 5)
    assert requests.get(content_stack.front_url + expired, timeout=10).status_code == 403
    forged = rendition["url"].replace("480p.mp4", "720p.mp4")
    assert requests.get(content_stack.front_url + forged, timeout=10).status_code == 403
    bare = rendition["url"].split("?")[0]
    assert requests.get(content_stack.front_url + bare, timeout=10).status_code == 403


def test_sigkilled_worker_loses_no_job(content_stack: Any, uploads: Uploads, admin_token: str, clips: Path) -> None:
    """Kill the transcode worker while its ffmpeg runs: ffmpeg dies with it, and the item still ends ready."""
    clip = make_clip(clips, "kill.mkv", *lavfi("1920x1080", 3), "-c:v", "libx264", "-preset", "ultrafast",
                     "-pix_fmt", "yuv422p", "-c:a", "aac", "-shortest")
    content_id = content_id_of(content_stack, uploads.upload(clip, admin_token, title=f"pipeline kill {RUN}"))
    media = str(Path(content_stack.env["MEDIA_DIR"]) / content_id)
    worker = content_stack.component_pid("worker-transcode-0")
    deadline = time.monotonic() + 90
    while not any(f"{media}/.work-transcode" in Path(f"/proc/{pid}/cmdline").read_text(errors="ignore")
                  for pid in ffmpeg_pids(media)):
        assert time.monotonic() < deadline, "the transcode job never started ffmpeg"
        time.sleep(0.1)
    time.sleep(0.5)
    processing = item(content_stack, admin_token, content_id)
    assert processing["status"] == "processing" and 0 <= processing["progress"] < 100
    os.kill(worker, signal.SIGKILL)
    content_stack.wait_until(lambda: not [p for p in ffmpeg_pids(media) if ".work-transcode" in
                                          Path(f"/proc/{p}/cmdline").read_text(errors="ignore")], timeout=10)
    content_stack.wait_until(lambda: content_stack.component_pid("worker-transcode-0") not in (0, worker),
                             timeout=30)
    ready = wait_for(content_stack, admin_token, content_id, timeout=180)
    assert ready["status"] == "ready", ready
    assert sorted(r["name"] for r in ready["renditions"]) == [
        "1080p.mp4", "1080p.webm", "480p.mp4", "480p.webm", "720p.mp4", "720p.webm"]
    assert not ffmpeg_pids(media)


def test_rq_info_shows_both_queues_and_their_workers(content_stack: Any) -> None:
    """What an operator sees with RQ's own command line: the two queues and a worker listening on each."""
    instance = content_stack.instance
    url = f"redis://:{content_stack.secret('redis-password')}@127.0.0.1:{instance.ports['redis']}/0"
    shown = subprocess.run([str(Path(instance.python).parent / "rq"), "info", "--url", url],
                           capture_output=True, text=True, check=True, timeout=30).stdout
    for queue in ("transcode", "downscale"):
        assert re.search(rf"^{queue}\s+\| \d+", shown, re.MULTILINE), shown
        assert re.search(rf"^worker-{queue}-0\.\S+ .*: \w+ {queue}\.", shown, re.MULTILINE), shown
