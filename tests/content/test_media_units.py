"""Pure helpers: ffmpeg progress parsing, links, subtitles, sprite maps, hook checks."""

from __future__ import annotations

import base64
import errno
import hashlib
import math
import subprocess
from pathlib import Path

import pytest

from flmnchll.content import links
from flmnchll.content.uploads import check_filename, reject
from flmnchll.media import encode, ffmpeg, hls, thumbnails
from flmnchll.media.errors import DISK_FULL, EncodeError, MediaError, explain, lasting_reason
from flmnchll.media.ladder import plan
from flmnchll.media.progress import ProgressParser, parse_clock
from flmnchll.media.subtitles import SubtitleError, language, srt_to_vtt, to_vtt
from tests.content.test_ladder import info


def test_progress_follows_out_time_and_ends_at_100() -> None:
    parser = ProgressParser(duration=10.0)
    block = ["frame=50", "out_time_us=2500000", "out_time_ms=2500000", "out_time=00:00:02.500000",
             "speed=2.5x", "progress=continue"]
    ends = [parser.feed(line) for line in block]
    assert ends == [False] * 5 + [True]
    assert parser.percent == pytest.approx(25.0)
    assert parser.speed == 2.5
    parser.feed("out_time_us=N/A")
    assert parser.percent == pytest.approx(25.0)
    parser.feed("progress=end")
    assert parser.percent == 100.0


def test_progress_never_claims_done_before_the_end() -> None:
    parser = ProgressParser(duration=2.0)
    parser.feed("out_time_us=2100000")
    assert parser.percent < 100
    assert parse_clock("01:02:03.5") == pytest.approx(3723.5)
    assert parse_clock("garbage") == 0


def test_the_keyframe_expression_forces_keyframes_at_the_segment_boundaries(tmp_path: Path) -> None:
    """ffmpeg itself evaluates the expression: the keyframes of an encode fall on `keyframe_times`."""
    target = tmp_path / "keys.mp4"
    subprocess.run([str(ffmpeg.binary()), "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
                    "testsrc2=size=160x90:rate=25:duration=9", "-c:v", "libx264", "-preset", "ultrafast",
                    "-sc_threshold", "0", "-force_key_frames", encode.KEYFRAME_EXPRESSION, str(target)], check=True)
    probed = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v", "-skip_frame", "nokey",
                             "-show_entries", "frame=pts_time", "-of", "csv=p=0", str(target)],
                            capture_output=True, text=True, check=True).stdout
    keys = [round(float(line.strip(",")), 2) for line in probed.split()]
    # 0 0.5 1 1.5 2 4 6 8, each on the first frame at or after it (0.52 s for 0.5 s at 25 fps): nothing else,
    # scene cuts or the encoder's own
    assert keys == [round(math.ceil(t * 25 - 1e-9) / 25, 2) for t in encode.keyframe_times(8)]


def test_a_growing_playlist_keeps_one_target_duration() -> None:
    opening = "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1.000000,\nseg-00000.m4s\n"
    assert "#EXT-X-TARGETDURATION:2\n" in hls.with_target_duration(opening, 2)
    longer = "#EXTM3U\n#EXT-X-TARGETDURATION:3\n#EXTINF:2.500000,\nseg-00000.m4s\n"
    assert hls.with_target_duration(longer, 2) == longer  # never promises less than a segment lasts


def test_playlists_are_read_and_signed_line_by_line() -> None:
    playlist = ("#EXTM3U\n#EXT-X-PLAYLIST-TYPE:EVENT\n#EXT-X-MAP:URI=\"init.mp4\"\n#EXTINF:2.000000,\n"
                "seg-00000.m4s\n#EXTINF:1.500000,\nseg-00001.m4s\n")
    assert [(s.uri, s.duration) for s in hls.segments(playlist)] == [("seg-00000.m4s", 2.0), ("seg-00001.m4s", 1.5)]
    assert hls.map_uri(playlist) == "init.mp4" and not hls.ended(playlist)
    assert hls.ended(playlist + "#EXT-X-ENDLIST\n")
    signed = hls.rewrite_uris(playlist, lambda uri: f"https://bucket/{uri}?sig=1")
    assert '#EXT-X-MAP:URI="https://bucket/init.mp4?sig=1"' in signed
    assert "https://bucket/seg-00001.m4s?sig=1" in signed.splitlines()
    assert hls.peak_and_average(playlist, {"seg-00000.m4s": 500_000, "seg-00001.m4s": 150_000}) == (
        2_000_000, int(650_000 * 8 / 3.5))


def test_master_playlist_lists_h264_first_with_codecs_resolution_and_bandwidth() -> None:
    streams = [{"name": "720p-vp9", "width": 1280, "height": 720, "codecs": "vp09.00.31.08,opus",
                "bandwidth": 2_000_000},
               {"name": "480p-h264", "width": 854, "height": 480, "codecs": "avc1.64001e,mp4a.40.2",
                "bandwidth": 900_000, "average_bandwidth": 700_000, "frame_rate": 25}]
    master = hls.master_playlist(streams).splitlines()
    assert master[3:5] == [f'#EXT-X-SESSION-DATA:DATA-ID="com.flmnchll.segment-seconds",VALUE="{hls.SEGMENT_SECONDS}"',
                           '#EXT-X-SESSION-DATA:DATA-ID="com.flmnchll.opening-segment-seconds",'
                           f'VALUE="{hls.OPENING_SEGMENT_SECONDS}"']
    assert master[5] == ('#EXT-X-STREAM-INF:BANDWIDTH=900000,AVERAGE-BANDWIDTH=700000,RESOLUTION=854x480,'
                         'CODECS="avc1.64001e,mp4a.40.2",FRAME-RATE=25.000')
    assert master[6] == "480p-h264/index.m3u8" and master[8] == "720p-vp9/index.m3u8"
    assert hls.variant_attributes("\n".join(master))["CODECS"] == "avc1.64001e,mp4a.40.2"


def test_stream_links_sign_the_item_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDIA_SECRET", "s3cret")
    monkeypatch.setenv("STORAGE_BACKEND", "local")
    url = links.stream_url("0123456789abcdef", expires=2_000_000_000)
    digest = hashlib.md5(b"2000000000/media/0123456789abcdef/hls/ s3cret").digest()
    signature = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    assert url == f"/media/s/2000000000/{signature}/0123456789abcdef/hls/master.m3u8"
    assert links.stream_signature_valid("0123456789abcdef", "2000000000", signature, now=1_999_999_999)
    assert not links.stream_signature_valid("0123456789abcdef", "2000000000", signature, now=2_000_000_001)
    assert not links.stream_signature_valid("fedcba9876543210", "2000000000", signature, now=0)
    # a link mangled into other scripts is refused, not a server error
    assert not links.stream_signature_valid("0123456789abcdef", "2000000000", "úô\x81«", now=0)
    assert not links.stream_signature_valid("0123456789abcdef", "２000000000", signature, now=0)
    monkeypatch.setenv("STORAGE_BACKEND", "s3")
    assert links.stream_url("0123456789abcdef", expires=2_000_000_000).startswith("/function/list-content/s/")


def test_tile_columns_follow_width() -> None:
    assert [encode.tile_columns(w) for w in (320, 854, 1280, 1920, 3840)] == [0, 1, 2, 2, 3]


def test_signed_link_matches_nginx_secure_link(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDIA_SECRET", "s3cret")
    url = links.sign("0123456789abcdef", "480p.mp4", expires=2_000_000_000)
    digest = hashlib.md5(b"2000000000/media/0123456789abcdef/480p.mp4 s3cret").digest()
    expected = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    assert url == f"/media/0123456789abcdef/480p.mp4?md5={expected}&expires=2000000000"


def test_links_round_expiry_up_and_refuse_odd_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDIA_SECRET", "s3cret")
    url = links.sign("0123456789abcdef", "poster.jpg", now=1_000_000, duration=10)
    expires = int(url.rsplit("=", 1)[1])
    assert expires % 3600 == 0 and expires >= 1_000_000 + links.DEFAULT_TTL
    for bad in ("../secret", ".work-x/file", "a b"):
        with pytest.raises(ValueError):
            links.sign("0123456789abcdef", bad)


def test_srt_becomes_vtt_and_garbage_is_refused() -> None:
    vtt = srt_to_vtt("\ufeff1\r\n00:00:01,5 --> 00:00:02,000\r\nHello\r\n")
    assert vtt.startswith("WEBVTT\n\n1\n00:00:01.500 --> 00:00:02.000\nHello")
    assert to_vtt("WEBVTT\n\n00:01.000 --> 00:02.000\nHi\n", "vtt").endswith("Hi\n")
    with pytest.raises(SubtitleError):
        to_vtt("just some text", "srt")
    with pytest.raises(SubtitleError):
        to_vtt("00:01.000 --> 00:02.000\nHi", "vtt")


def test_sprite_layout_and_map() -> None:
    layout = thumbnails.sprite_layout(25.0, 854, 480)
    assert (layout.interval, layout.count, layout.columns, layout.rows) == (1.0, 25, 10, 3)
    assert layout.tile_height == 90
    vtt = thumbnails.sprite_vtt(layout, 25.0, "sprite.jpg")
    assert vtt.startswith("WEBVTT")
    assert "00:00:11.000 --> 00:00:12.000\nsprite.jpg#xywh=160,90,160,90" in vtt
    long = thumbnails.sprite_layout(7200, 854, 480)
    assert long.count == 100 and long.interval == 72


def test_filenames_and_hook_rejections() -> None:
    assert check_filename("holiday.MP4") is None
    assert check_filename("") and check_filename("notes.txt") and check_filename("a/b.mp4")
    refused = reject(403, "admin_only", "no")
    assert refused["RejectUpload"] is True and refused["HTTPResponse"]["StatusCode"] == 403


def test_ffmpeg_messages_become_human_reasons() -> None:
    assert "incomplete" in explain("[mov] moov atom not found\n", "x")
    assert explain("something new", "fallback") == "fallback"
    assert "storage is full" in explain("av_interleaved_write_frame(): No space left on device\n", "x")


def test_only_failures_a_person_must_fix_fail_the_item_at_once() -> None:
    assert lasting_reason(MediaError("The file is not a video.")) == "The file is not a video."
    assert lasting_reason(OSError(errno.ENOSPC, "No space left on device")) == DISK_FULL
    assert lasting_reason(OSError(errno.EIO, "Input/output error")) is None  # may pass: retried
    assert lasting_reason(EncodeError("ffmpeg failed: killed")) is None


def test_container_languages_become_browser_codes() -> None:
    assert language("eng") == ("en", "English") and language("fre") == ("fr", "Français")
    assert language("und") == ("und", "Subtitles") and language("xx-bad") == ("und", "Subtitles")
    assert language("tlh") == ("tlh", "tlh")


@pytest.mark.parametrize("setting", ["on", "off"])
def test_an_item_is_ready_when_its_streams_end_and_its_planned_files_exist(monkeypatch: pytest.MonkeyPatch,
                                                                          setting: str) -> None:
    from flmnchll.content.events import plan_complete
    from workers.plan import plan_entries, progressive_files, shares

    monkeypatch.setenv("PROGRESSIVE_FILES", setting)
    entries = plan_entries(shares(plan(info(1280, 720)), split=False), progressive_files())
    assert {(e["stream"], e["progressive"]) for e in entries} == {
        (name, setting == "on") for name in ("720p-h264", "720p-vp9", "480p-h264", "480p-vp9")}
    item = {"plan": entries, "renditions": [], "streams": [{"name": e["stream"], "complete": True} for e in entries]}
    assert plan_complete(item) is (setting == "off")  # with files on, the streams alone are not enough
    item["renditions"] = [{"name": e["name"]} for e in entries]
    assert plan_complete(item)
    item["streams"][0]["complete"] = False  # a stream still growing
    assert not plan_complete(item)
