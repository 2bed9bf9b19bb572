"""The pipeline's ffmpeg command lines, read back (`tests.content.ffmpeg_argv`) and checked for what they make:
one decode and one scale per size in a cascade, both codec families on every rung, keyframes only at segment
boundaries, HLS streams that grow and appear whole, remuxed progressive files, thumbnails and subtitles."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

from flmnchll.media import encode, process, thumbnails
from flmnchll.media.ladder import Rendition, plan
from flmnchll.media.probe import MediaInfo
from flmnchll.media.subtitle_extraction import extract_command
from tests.content.ffmpeg_argv import Output, Term, parse, read
from tests.content.test_ladder import info

FILM = info(1920, 1080, video_codec="mpeg4", video_profile="", duration=20.6)  # stereo AAC LC: copied into mp4
SURROUND = info(1920, 1080, audio_codec="ac3", audio_profile="", audio_channels=6)
SILENT = info(1280, 720, audio_index=None, audio_codec="", audio_channels=0)


def started_argv(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What the runner starts for the poster's command line (it is stopped before it starts)."""
    started: list[list[str]] = []

    def record(argv: list[str], **_: object) -> None:
        started.append(argv)
        raise InterruptedError

    monkeypatch.setattr(subprocess, "Popen", record)
    with pytest.raises(InterruptedError):
        process.run_ffmpeg(thumbnails.poster_command("/m/480p.mp4", 20.6, "/w/poster.jpg"), duration=1, timeout=5,
                           program="/opt/ffmpeg")
    return started[0]


def hls_outputs(source: str, media: MediaInfo, renditions: Sequence[Rendition]) -> dict[Rendition, Output]:
    """The command line of an HLS encode, read back: each rendition's output."""
    folders = {r: Path(f"/work/.work-stage/{r.stream}") for r in renditions}
    command = read(encode.command(source, media, list(folders.items())))
    assert [path for path, _ in command.inputs] == [source]  # one decode for the whole group
    return {r: command.output(str(folders[r] / encode.PLAYLIST_NAME)) for r in renditions}


def scales(term: Term) -> list[str]:
    return [step.arguments.split(":flags=")[0] for step in term.lineage() if step.name == "scale"]


def test_each_size_is_scaled_once_from_the_next_larger_one() -> None:
    outputs = hls_outputs("/up/film.mov", FILM, plan(FILM).all)
    for rendition, output in outputs.items():
        picture = output.streams[0]
        assert picture.lineage()[0] == Term("input", f"0:{FILM.video_index}")
        wanted = sorted({(r.width, r.height) for r in outputs if r.pixels >= rendition.pixels}, reverse=True)
        assert scales(picture) == [f"{w}:{h}" for w, h in wanted]  # 1080, then 720 from it, then 480
        assert [step.name for step in picture.lineage()[-3:]] == ["scale", "setsar", "format"]
    by_size: dict[tuple[int, int], set[Term]] = {}
    for rendition, output in outputs.items():
        by_size.setdefault((rendition.width, rendition.height), set()).add(output.streams[0])
    assert all(len(pictures) == 1 for pictures in by_size.values())  # H.264 and VP9 share one scaled picture


def test_every_rung_has_both_codec_families_with_their_audio() -> None:
    outputs = hls_outputs("/up/surround.mkv", SURROUND, plan(SURROUND).all)
    codecs = {(r.rung, o.options["c:v"], o.options["c:a"]) for r, o in outputs.items()}
    assert codecs == {(rung, video, audio) for rung in (480, 720, 1080)
                      for video, audio in (("libx264", "aac"), ("libvpx-vp9", "libopus"))}
    for output in outputs.values():
        assert output.streams[1] == Term("input", f"0:{SURROUND.audio_index}")
        assert output.options["ac"] == "2"  # 5.1 is downmixed to stereo
    film = hls_outputs("/up/film.mov", FILM, plan(FILM).source)
    assert {o.options["c:v"]: o.options["c:a"] for o in film.values()} == {"libx264": "copy", "libvpx-vp9": "libopus"}


def test_every_encoder_keyframes_only_at_segment_boundaries() -> None:
    for output in hls_outputs("/up/film.mov", FILM, plan(FILM).all).values():
        assert output.options["force_key_frames"] == encode.KEYFRAME_EXPRESSION
        if output.options["c:v"] == "libx264":
            assert output.options["sc_threshold"] == "0"  # no scene-cut keyframes
        else:
            assert output.options["g"] == output.options["keyint_min"] == str(encode.VP9_KEYFRAME_INTERVAL)
    assert 2 <= encode.SEGMENT_SECONDS <= 4
    assert encode.keyframe_times(7) == [0.0, 0.5, 1.0, 1.5, 2.0, 4.0, 6.0]  # short opening segments, then whole ones


def test_every_output_is_a_growing_hls_stream_in_its_own_folder() -> None:
    for rendition, output in hls_outputs("/up/film.mov", FILM, plan(FILM).all).items():
        folder = f"/work/.work-stage/{rendition.stream}"
        assert output.options["f"] == "hls" and output.options["hls_time"] == str(encode.SEGMENT_SECONDS)
        assert output.options["hls_init_time"] == str(encode.OPENING_SEGMENT_SECONDS)  # where the muxer cuts
        assert output.options["hls_playlist_type"] == "event" and output.options["hls_segment_type"] == "fmp4"
        assert "temp_file" in str(output.options["hls_flags"]).split("+")  # segments appear whole
        assert output.options["hls_segment_filename"] == f"{folder}/seg-%05d.m4s"
        assert output.options["hls_fmp4_init_filename"] == encode.INIT_NAME
        assert output.options["master_pl_name"] == encode.VARIANT_NAME
        assert output.options["map_metadata"] == output.options["map_chapters"] == "-1"


def test_silent_source_has_no_audio_mapping() -> None:
    for output in hls_outputs("/up/silent.mp4", SILENT, plan(SILENT).all).values():
        assert len(output.streams) == 1 and "c:a" not in output.options


def test_progressive_files_are_remuxed_not_encoded() -> None:
    mp4 = read(encode.progressive_remux(Path("/w/480p-h264.mp4"), "mp4", Path("/w/480p.mp4"))).output("/w/480p.mp4")
    webm = read(encode.progressive_remux(Path("/w/480p-vp9.mp4"), "webm", Path("/w/480p.webm"))).output(
        "/w/480p.webm")
    for output in (mp4, webm):
        assert output.options["c"] == "copy" and output.streams == (Term("input", "0:v"), Term("input", "0:a?"))
    assert mp4.options["f"] == "mp4" and mp4.options["movflags"] == "+faststart"  # index first
    assert webm.options["f"] == "webm" and webm.options["cues_to_front"] == "1"


def test_poster_seeks_the_input_and_writes_one_frame() -> None:
    command = read(thumbnails.poster_command("/m/480p.mp4", 100.0, "/w/poster.jpg"))
    assert command.inputs == [("/m/480p.mp4", {"ss": "25.000"})]  # an input option: a fast seek
    assert command.output("/w/poster.jpg").options["frames:v"] == "1"


def test_sprite_tiles_one_frame_per_interval_and_decodes_keyframes_only_when_they_suffice() -> None:
    for duration, keyframes_only in ((20.6, False), (5400.0, True)):
        layout = thumbnails.sprite_layout(duration, 854, 480)
        command = read(thumbnails.sprite_command("/m/480p.mp4", layout, "/w/sprite.jpg"))
        assert ("skip_frame" in command.inputs[0][1]) is keyframes_only
        (tiles,) = command.output("/w/sprite.jpg").streams
        assert [(step.name, step.arguments) for step in tiles.lineage()[1:]] == [
            ("fps", f"1/{layout.interval}"), ("scale", f"{layout.tile_width}:{layout.tile_height}"),
            ("tile", f"{layout.columns}x{layout.rows}")]


def test_each_subtitle_track_goes_to_its_own_webvtt_file() -> None:
    command = read(extract_command("/up/film.mkv", [(2, "/w/sub-en.vtt"), (3, "/w/sub-fr.vtt")]))
    for index, path in ((2, "/w/sub-en.vtt"), (3, "/w/sub-fr.vtt")):
        output = command.output(path)
        assert output.streams == (Term("input", f"0:{index}"),)
        assert output.options["c:s"] == output.options["f"] == "webvtt"


def test_the_runner_reports_progress_on_stdout_and_never_waits_for_input(monkeypatch: pytest.MonkeyPatch) -> None:
    command = parse(started_argv(monkeypatch))
    assert command.program == "/opt/ffmpeg"
    assert command.options["progress"] == "pipe:1"  # what ProgressParser reads
    assert "nostdin" in command.options and "y" in command.options and command.options["loglevel"] == "error"
