"""The rendition ladder: sizes, rungs, never upscaling, remux decisions."""

from __future__ import annotations

from typing import Any

import pytest

from flmnchll.media.ladder import downscale_batches, plan, size_for
from flmnchll.media.probe import MediaInfo, parse


def info(width: int, height: int, **overrides: Any) -> MediaInfo:
    base: dict[str, Any] = dict(
        format_name="mov,mp4", duration=10.0, video_index=0, video_codec="h264", video_profile="High",
        pix_fmt="yuv420p", coded_width=width, coded_height=height, width=width, height=height, rotation=0,
        square_pixels=True, frame_rate=25.0, audio_index=1, audio_codec="aac", audio_profile="LC",
        audio_channels=2)
    base.update(overrides)
    return MediaInfo(**base)


def names(source: MediaInfo) -> list[str]:
    return sorted(r.name for r in plan(source).all)


def test_720p_source_gets_720_and_480_only() -> None:
    assert names(info(1280, 720)) == ["480p.mp4", "480p.webm", "720p.mp4", "720p.webm"]


def test_small_source_gets_only_its_own_size() -> None:
    ladder = plan(info(320, 240, video_codec="vp9", video_profile="Profile 0", audio_codec="opus"))
    assert [(r.name, r.width, r.height) for r in ladder.all] == [("240p.mp4", 320, 240), ("240p.webm", 320, 240)]
    assert ladder.lower == ()


def test_4k_plus_source_is_capped_and_gets_every_rung() -> None:
    ladder = plan(info(5120, 2880))
    assert [r.rung for r in ladder.source] == [2160, 2160]
    assert (ladder.source[0].width, ladder.source[0].height) == (3840, 2160)
    assert [group[0].rung for group in ladder.lower] == [480, 720, 1080]


def test_rung_close_to_the_source_is_skipped() -> None:
    assert names(info(888, 500)) == ["500p.mp4", "500p.webm"]


def test_portrait_uses_the_short_side_and_keeps_orientation() -> None:
    ladder = plan(info(1080, 1920))
    assert [(r.width, r.height) for r in ladder.all if r.container == "mp4"] == [(1080, 1920), (480, 854), (720, 1280)]


def test_rotated_phone_video_is_planned_upright_and_reencoded() -> None:
    probed = parse({"format": {"duration": "3.0", "format_name": "mov"}, "streams": [
        {"index": 0, "codec_type": "video", "codec_name": "h264", "profile": "High", "pix_fmt": "yuv420p",
         "width": 1920, "height": 1080, "sample_aspect_ratio": "1:1", "avg_frame_rate": "30/1",
         "side_data_list": [{"side_data_type": "Display Matrix", "rotation": -90}]}]})
    assert (probed.width, probed.height, probed.rotation) == (1080, 1920, 270)
    assert not probed.has_audio
    ladder = plan(probed)
    assert (ladder.source[0].width, ladder.source[0].height) == (1080, 1920)
    assert not any(r.audio for r in ladder.all)


def test_anamorphic_pixels_are_made_square() -> None:
    probed = parse({"format": {"duration": "3.0"}, "streams": [
        {"index": 0, "codec_type": "video", "codec_name": "mpeg2video", "pix_fmt": "yuv420p", "width": 720,
         "height": 576, "sample_aspect_ratio": "64:45", "avg_frame_rate": "25/1"}]})
    assert (probed.width, probed.height) == (1024, 576)
    assert plan(probed).source[0].width == 1024


def test_video_is_always_encoded_and_audio_copied_only_when_it_fits() -> None:
    """Every rung's keyframes must fall on the segment boundaries, so even a browser-ready source's video is
    encoded; audio already in the rendition's codec (stereo AAC LC for H.264, Opus for VP9) is copied."""
    mp4 = plan(info(1280, 720))
    assert [(r.container, r.copy_audio) for r in mp4.source] == [("mp4", True), ("webm", False)]
    assert [(r.stream, r.copy_audio) for r in mp4.lower[0]] == [("480p-h264", True), ("480p-vp9", False)]
    surround = plan(info(1280, 720, audio_channels=6))
    assert not any(r.copy_audio for r in surround.all)


@pytest.mark.parametrize("width,height", [(1921, 1081), (853, 480), (1280, 536), (641, 361)])
def test_sizes_are_even_and_keep_the_aspect_ratio(width: int, height: int) -> None:
    source = info(width, height)
    for rendition in plan(source).all:
        assert rendition.width % 2 == 0 and rendition.height % 2 == 0
        assert abs(rendition.width / rendition.height - width / height) < 0.02
        assert rendition.height <= height and rendition.width <= width


def test_size_for_rounds_to_even() -> None:
    assert size_for(info(1920, 1080), 480) == (854, 480)
    assert size_for(info(1080, 1920), 720) == (720, 1280)


def test_not_a_video_is_refused_with_a_reason() -> None:
    from flmnchll.media.errors import MediaError

    with pytest.raises(MediaError, match="no video stream"):
        parse({"format": {"duration": "3"}, "streams": [{"index": 0, "codec_type": "audio"}]})
    with pytest.raises(MediaError, match="no duration"):
        parse({"format": {}, "streams": [{"index": 0, "codec_type": "video", "width": 2, "height": 2}]})


def test_lower_rungs_share_one_job() -> None:
    batches = downscale_batches(plan(info(1920, 1080)))
    assert [[r.name for r in batch] for batch in batches] == [
        ["480p.mp4", "480p.webm", "720p.mp4", "720p.webm"]]
    assert downscale_batches(plan(info(320, 240))) == []


@pytest.mark.parametrize("split", [False, True])
def test_the_ladder_is_one_job_unless_split(monkeypatch: pytest.MonkeyPatch, split: bool) -> None:
    """One pass by default: every rendition is the transcode job's; split, the lower rungs are a downscale job's."""
    from workers.plan import plan_entries, shares, split_ladder

    monkeypatch.setenv("SPLIT_LADDER", "on" if split else "off")
    ladder = plan(info(1920, 1080))
    entries = plan_entries(shares(ladder, split_ladder()), progressive=True)
    stages = {e["name"]: e["stage"] for e in entries}
    assert set(stages) == {r.name for r in ladder.all}
    lower = "downscale-1" if split else "transcode"
    assert stages == {**{r.name: "transcode" for r in ladder.source},
                      **{r.name: lower for group in ladder.lower for r in group}}
    monkeypatch.delenv("SPLIT_LADDER")
    assert not split_ladder()
