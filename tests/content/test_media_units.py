"""Pure helpers: ffmpeg progress parsing, command building, links, subtitles, sprite maps, hook checks."""

from __future__ import annotations

import base64
import errno
import hashlib
from pathlib import Path

import pytest

from flmnchll.content import links
from flmnchll.content.uploads import check_filename, reject
from flmnchll.media import encode, thumbnails
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


def test_one_decode_one_scale_per_size_for_the_whole_group() -> None:
    source = info(1920, 1080, video_codec="mpeg4", video_profile="")
    ladder = plan(source)
    outputs = [(r, Path(f"/out/{r.name}")) for group in ladder.lower for r in group]
    args = encode.command("/in.mov", source, outputs)
    assert args.count("-i") == 1
    chains = args[args.index("-filter_complex") + 1].split(";")
    assert [chain.count("scale=") for chain in chains] == [1, 1]  # 480 and 720, each split between mp4 and webm
    assert chains[0].startswith("[0:0]scale=1280:720") and chains[0].endswith("split=3[v2][v3][s0]")
    assert chains[1].startswith("[s0]scale=854:480")  # the smaller size is scaled from the larger one
    assert args.count("libx264") == 2 and args.count("libvpx-vp9") == 2
    assert args.count("+faststart") == 2 and args.count("-cues_to_front") == 2


def test_silent_source_has_no_audio_mapping_and_copy_needs_no_filter() -> None:
    silent = info(1280, 720, audio_index=None, audio_codec="", audio_channels=0)
    rendition = plan(silent).source[0]
    args = encode.command("/in.mp4", silent, [(rendition, Path("/out/720p.mp4"))])
    assert "-filter_complex" not in args
    assert args[args.index("-c:v") + 1] == "copy"
    assert "0:1" not in args and "-c:a" not in args


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
