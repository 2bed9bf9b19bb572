"""Segmented delivery against the real stack: an upload plays (HLS) while it is still processing, every rung's
segments and progressive files are what the plan says (checked with ffprobe), and stream links are signed
over the item's prefix so the playlists' relative URIs work and nothing else does.
"""

from __future__ import annotations

import json
import re
import secrets
import subprocess
import time
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest
import requests

from flmnchll.content import links
from flmnchll.media import encode, hls
from tests.content.conftest import Uploads, content_id_of, item, lavfi, make_clip, wait_for
from tests.content.test_pipeline import check_rendition

pytestmark = pytest.mark.slow
RUN = secrets.token_hex(3)
SECONDS = 16  # long enough that the first segments are out well before the ladder is done
FRAME = 1 / 25  # the clip's frame time (s)
RUNGS = {"720p-h264": (1280, 720, "avc1", "mp4a.40.2"), "720p-vp9": (1280, 720, "vp09", "opus"),
         "480p-h264": (854, 480, "avc1", "mp4a.40.2"), "480p-vp9": (854, 480, "vp09", "opus")}


@pytest.fixture(scope="module")
def streamed(content_stack: Any, uploads: Uploads, admin_token: str, clips: Path) -> dict[str, Any]:
    """A 720p upload, watched from the moment its upload completes until its first segments play."""
    clip = make_clip(clips, f"stream{SECONDS}.mkv", *lavfi("1280x720", SECONDS), "-c:v", "libx264",
                     "-preset", "ultrafast", "-pix_fmt", "yuv422p", "-c:a", "aac", "-shortest")
    content_id = content_id_of(content_stack, uploads.upload(clip, admin_token, title=f"stream {RUN}"))
    seen = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        current = item(content_stack, admin_token, content_id)
        seen.append((current["status"], current["playable"], current["stream"]))
        if current["playable"] or current["status"] != "processing":
            return {"id": content_id, "first": current, "seen": seen}
        time.sleep(0.1)
    raise AssertionError(f"{content_id} never became playable: {seen[-1]}")


def get(stack: Any, url: str, **kwargs: Any) -> requests.Response:
    return requests.get(urljoin(stack.front_url + "/", url), timeout=30, **kwargs)


def test_upload_is_playable_with_a_stream_while_still_processing(content_stack: Any, admin_token: str,
                                                                 streamed: dict[str, Any]) -> None:
    first = streamed["first"]
    assert all(stream is None for _, playable, stream in streamed["seen"] if not playable)
    assert first["playable"] is True and first["status"] == "processing", first
    assert first["stream"]["type"] == "hls" and first["stream"]["url"].startswith("/media/s/")
    master_url = urljoin(content_stack.front_url + "/", first["stream"]["url"])
    master = requests.get(master_url, timeout=30)
    assert master.status_code == 200 and master.headers["Content-Type"] == hls.MIME
    assert "no-cache" in master.headers.get("Cache-Control", "")
    variants = [line for line in master.text.splitlines() if line and not line.startswith("#")]
    assert variants, master.text
    media_url = urljoin(master_url, variants[0])  # relative, as a player resolves it
    playlist = requests.get(media_url, timeout=30).text
    assert "#EXT-X-PLAYLIST-TYPE:EVENT" in playlist and hls.segments(playlist)
    for name in (hls.map_uri(playlist), hls.segments(playlist)[0].uri):
        segment = requests.get(urljoin(media_url, name), timeout=30)
        assert segment.status_code == 200 and len(segment.content) > 100

    viewer = content_stack.signup_login("stream-viewer")
    listed = content_stack.call("list-content", f"?q=stream {RUN}", method="GET", token=viewer["token"]).json()
    assert [(i["id"], i["playable"]) for i in listed["items"]] == [(streamed["id"], True)]
    assert content_stack.call("list-content", streamed["id"], method="GET", token=viewer["token"]).status_code == 200


def ffprobe_json(path: Path, *args: str) -> dict[str, Any]:
    done = subprocess.run(["ffprobe", "-v", "error", "-of", "json", *args, str(path)], capture_output=True,
                          text=True, check=True, timeout=60)
    return json.loads(done.stdout)


def test_every_rung_has_aligned_segments_and_a_progressive_file(content_stack: Any, admin_token: str,
                                                               streamed: dict[str, Any], tmp_path: Path) -> None:
    ready = wait_for(content_stack, admin_token, streamed["id"], timeout=300)
    assert ready["status"] == "ready", ready
    master_url = urljoin(content_stack.front_url + "/", ready["stream"]["url"])
    master = requests.get(master_url, timeout=30).text
    listed = {}
    lines = master.splitlines()
    for n, line in enumerate(lines):
        if line.startswith("#EXT-X-STREAM-INF:"):
            listed[lines[n + 1].split("/")[0]] = hls.variant_attributes(line)
    assert set(listed) == set(RUNGS)
    # the segment lengths a joining player plans its start with, before it reads any rung's playlist
    declared = dict(re.findall(r'^#EXT-X-SESSION-DATA:DATA-ID="([^"]+)",VALUE="([^"]+)"$', master, re.MULTILINE))
    boundaries = {}
    for name, (width, height, video, audio) in RUNGS.items():
        attributes = listed[name]
        assert attributes["RESOLUTION"] == f"{width}x{height}" and int(attributes["BANDWIDTH"]) > 0
        assert attributes["CODECS"].startswith(video) and attributes["CODECS"].endswith(audio)
        media_url = urljoin(master_url, f"{name}/{hls.PLAYLIST}")
        playlist = requests.get(media_url, timeout=30).text
        assert hls.ended(playlist) and "#EXT-X-PLAYLIST-TYPE:EVENT" in playlist
        segments = hls.segments(playlist)
        durations = [s.duration for s in segments]
        cuts = encode.keyframe_times(len(segments) + 1)
        lengths = [b - a for a, b in zip(cuts, cuts[1:], strict=False)]
        # half-second opening segments, then SEGMENT_SECONDS, the same on every rung; a boundary between two
        # frames (0.5 s at 25 fps) moves to the next frame
        assert durations[:-1] == pytest.approx(lengths[:-1], abs=FRAME + 1e-3)
        assert sum(durations[:hls.OPENING_SEGMENTS]) == pytest.approx(hls.SEGMENT_SECONDS, abs=1e-3)
        assert (durations[0], durations[hls.OPENING_SEGMENTS]) == pytest.approx(
            (float(declared[hls.OPENING_SECONDS_ID]), float(declared[hls.SEGMENT_SECONDS_ID])), abs=FRAME + 1e-3)
        assert sum(durations) == pytest.approx(SECONDS, abs=0.1)
        init = requests.get(urljoin(media_url, hls.map_uri(playlist) or ""), timeout=30).content
        start, offset = 0.0, None
        for segment in segments:
            path = tmp_path / f"{name}-{segment.uri}.mp4"
            path.write_bytes(init + requests.get(urljoin(media_url, segment.uri), timeout=30).content)
            streams = {s["codec_type"]: s for s in ffprobe_json(path, "-show_streams")["streams"]}
            assert streams["video"]["codec_name"] == {"avc1": "h264", "vp09": "vp9"}[video]
            assert (streams["video"]["width"], streams["video"]["height"]) == (width, height)
            assert streams["audio"]["codec_name"] == {"mp4a.40.2": "aac", "opus": "opus"}[audio]
            packets = ffprobe_json(path, "-select_streams", "v", "-show_entries", "packet=pts_time,flags")["packets"]
            times = [float(p["pts_time"]) for p in packets if p["flags"].startswith("K")]
            offset = times[0] if offset is None else offset  # H.264's B-frames delay its first picture a little
            # one keyframe per segment, at its very start: no scene-cut keyframes, every rung switchable here
            assert times == [pytest.approx(start + offset, abs=0.021)], (name, segment, offset)
            start += segment.duration
        boundaries[name] = durations
    assert len({tuple(b) for b in boundaries.values()}) == 1, boundaries  # the same segment times on every rung

    files = {r["name"]: r for r in ready["renditions"]}
    assert set(files) == {"720p.mp4", "720p.webm", "480p.mp4", "480p.webm"}
    for rendition in files.values():
        check_rendition(content_stack, rendition, {"duration": float(SECONDS), "audio": True}, tmp_path)


def test_stream_links_cover_only_their_item_and_time(content_stack: Any, admin_token: str,
                                                     streamed: dict[str, Any]) -> None:
    url = streamed["first"]["stream"]["url"]
    assert get(content_stack, url).status_code == 200
    expired = links.stream_url(streamed["id"], expires=int(time.time()) - 5)
    assert get(content_stack, expired).status_code == 403
    other = url.replace(streamed["id"], "0" * 16)
    assert get(content_stack, other).status_code == 403
    forged = url.replace("/hls/", "/hls/../").replace("master.m3u8", "../480p.mp4")
    assert get(content_stack, forged).status_code in (403, 404)
    assert get(content_stack, url.rsplit("/", 1)[0] + "/480p-h264/").status_code in (403, 404)
