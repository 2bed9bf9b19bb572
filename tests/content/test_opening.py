"""An item's first segments from the opening run (workers.opening): the publisher serves them under the smallest
H.264 stream's names until the job's pass has as many, then the pass's own; a stream never mixes two inits.

The publisher's tests use folders holding what ffmpeg would have written (playlists, init and segments as
files); storage is the local backend in the test's own folder and the content manager a scripted server. The
hand-over rests on the two runs writing the same init segment: the last test runs both with the pinned ffmpeg.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from flmnchll.media import encode, hls, ladder
from flmnchll.media.ladder import Rendition
from flmnchll.media.probe import MediaInfo, probe
from flmnchll.media.process import run_ffmpeg
from tests.content.conftest import lavfi, make_clip
from tests.scripted_server import ScriptedServer
from workers.opening import OPENING_SECONDS, OpeningRun, opening_rendition
from workers.report import Reporter
from workers.streams import StreamPublisher, written_playlist

SMALL = Rendition("mp4", 480, 854, 480, True, False)
SMALL_VP9 = Rendition("webm", 480, 854, 480, True, False)
LARGE = Rendition("mp4", 720, 1280, 720, True, False)
CODECS = "avc1.64001f,mp4a.40.2"


def film(duration: float) -> MediaInfo:
    return MediaInfo(format_name="mov,mp4", duration=duration, video_index=0, video_codec="h264",
                     video_profile="High", pix_fmt="yuv420p", coded_width=1280, coded_height=720, width=1280,
                     height=720, rotation=0, square_pixels=True, frame_rate=25.0, audio_index=1, audio_codec="aac",
                     audio_channels=2)


def write_stream(folder: Path, count: int, init: bytes, tag: str, ended: bool) -> None:
    """What ffmpeg leaves in a stream folder after `count` segments (each segment's bytes say who wrote it)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / encode.INIT_NAME).write_bytes(init)
    (folder / encode.VARIANT_NAME).write_text(f'#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=900000,CODECS="{CODECS}"\n'
                                              f"{encode.PLAYLIST_NAME}\n")
    cuts = encode.keyframe_times(count + 1)
    lines = ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-TARGETDURATION:2", "#EXT-X-PLAYLIST-TYPE:EVENT",
             f'#EXT-X-MAP:URI="{encode.INIT_NAME}"']
    for n in range(count):
        name = f"seg-{n:05d}.m4s"
        (folder / name).write_bytes(f"{tag} {n}".encode())
        lines += [f"#EXTINF:{cuts[n + 1] - cuts[n]:.6f},", name]
    if ended:
        lines.append("#EXT-X-ENDLIST")
    (folder / encode.PLAYLIST_NAME).write_text("\n".join(lines) + "\n")


def published(media: Path, name: str) -> bytes:
    return (media / "item42" / hls.ROOT / SMALL.stream / name).read_bytes()


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path, Path]:
    """(the pass's stream folder, the opening's, the local media storage)"""
    return tmp_path / "work" / SMALL.stream, tmp_path / "work" / "opening" / SMALL.stream, tmp_path / "media"


def publisher_for(pass_folder: Path, opening: Path) -> StreamPublisher:
    pass_folder.mkdir(parents=True, exist_ok=True)
    return StreamPublisher(Reporter("item42", 1, "transcode"), film(20), [(SMALL, pass_folder)],
                           openings={SMALL.stream: opening})


def test_the_item_plays_from_the_opening_until_the_pass_catches_up(manager: ScriptedServer,
                                                                   folders: tuple[Path, Path, Path]) -> None:
    pass_folder, opening, media = folders
    publisher = publisher_for(pass_folder, opening)
    publisher.sweep()  # neither run has a segment yet
    write_stream(opening, 4, b"init", "opening", ended=True)  # the opening run is done: 6 s in four segments
    write_stream(pass_folder, 1, b"init", "pass", ended=False)
    publisher.sweep()
    playlist = published(media, hls.PLAYLIST).decode()
    # playable from the opening, and the stream goes on: the opening's end is not the film's
    assert [s.uri for s in hls.segments(playlist)] == [f"seg-{n:05d}.m4s" for n in range(4)]
    assert not hls.ended(playlist)
    assert published(media, "seg-00000.m4s") == b"opening 0"
    stream_events = [e.json() for e in manager.received if e.json()["kind"] == "stream"]
    assert [e["stream"]["name"] for e in stream_events] == [SMALL.stream]

    write_stream(pass_folder, 5, b"init", "pass", ended=False)
    publisher.sweep()
    assert published(media, "seg-00004.m4s") == b"pass 4"
    assert published(media, "seg-00003.m4s") == b"opening 3"  # same init: what players already have stands
    assert [s.uri for s in hls.segments(published(media, hls.PLAYLIST).decode())][-1] == "seg-00004.m4s"

    write_stream(pass_folder, 7, b"init", "pass", ended=True)
    publisher.sweep(final=True)
    assert hls.ended(published(media, hls.PLAYLIST).decode())
    assert published(media, "seg-00006.m4s") == b"pass 6"


def test_a_pass_whose_init_differs_replaces_every_file_of_the_opening(manager: ScriptedServer,
                                                                      folders: tuple[Path, Path, Path]) -> None:
    pass_folder, opening, media = folders
    publisher = publisher_for(pass_folder, opening)
    write_stream(opening, 4, b"opening init", "opening", ended=True)
    publisher.sweep()
    assert published(media, encode.INIT_NAME) == b"opening init"
    write_stream(pass_folder, 4, b"pass init", "pass", ended=False)
    publisher.sweep()
    assert published(media, encode.INIT_NAME) == b"pass init"
    assert [published(media, f"seg-{n:05d}.m4s") for n in range(4)] == [f"pass {n}".encode() for n in range(4)]


def test_a_pass_ahead_of_the_opening_is_published_as_it_is(manager: ScriptedServer,
                                                           folders: tuple[Path, Path, Path]) -> None:
    pass_folder, opening, media = folders
    publisher = publisher_for(pass_folder, opening)
    write_stream(opening, 1, b"init", "opening", ended=False)
    write_stream(pass_folder, 2, b"init", "pass", ended=False)
    publisher.sweep()
    assert published(media, "seg-00000.m4s") == b"pass 0"


def test_only_a_long_enough_film_with_larger_rungs_gets_an_opening() -> None:
    long_enough = film(2 * OPENING_SECONDS + 1)
    assert opening_rendition([LARGE, SMALL, SMALL_VP9], long_enough) == SMALL
    assert opening_rendition([SMALL, SMALL_VP9], long_enough) is None  # nothing holds the pass back
    assert opening_rendition([LARGE, SMALL], film(2 * OPENING_SECONDS)) is None  # the pass is quick anyway
    assert opening_rendition([SMALL_VP9], long_enough) is None


def test_the_opening_run_writes_the_pass_init_and_ends_on_a_segment_boundary(tmp_path: Path) -> None:
    clip = make_clip(tmp_path, "opening.mp4", *lavfi("1280x720", 10), "-c:v", "libx264", "-preset", "ultrafast",
                     "-pix_fmt", "yuv422p", "-c:a", "aac", "-shortest")
    info = probe(clip)
    plan = ladder.plan(info)
    early = opening_rendition(plan.all, info)
    assert early is not None and early.container == "mp4" and early.rung == min(r.rung for r in plan.all)
    outputs = [(r, tmp_path / "pass" / r.stream) for r in plan.all]
    for _, folder in outputs:
        folder.mkdir(parents=True)
    run_ffmpeg(encode.command(clip, info, outputs), duration=info.duration, timeout=120)
    opening = tmp_path / "opening" / early.stream
    with OpeningRun(clip, info, early, opening):  # (leaving the block stops the run: wait for its end first)
        deadline = time.monotonic() + 60
        while not hls.ended(written_playlist(opening)) and time.monotonic() < deadline:
            time.sleep(0.05)
    pass_init = (tmp_path / "pass" / early.stream / encode.INIT_NAME).read_bytes()
    assert (opening / encode.INIT_NAME).read_bytes() == pass_init
    playlist = (opening / encode.PLAYLIST_NAME).read_text()
    assert hls.ended(playlist)
    assert [s.duration for s in hls.segments(playlist)] == pytest.approx([1.0, 1.0, 2.0], abs=0.01)
