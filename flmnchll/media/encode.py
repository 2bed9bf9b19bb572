"""ffmpeg commands: one decode of the source feeding every rendition of a job, each written as a growing
HLS stream of CMAF fragmented-MP4 segments; and the remux of a finished stream into a progressive file.

Segments last `SEGMENT_SECONDS`, except the first `OPENING_SEGMENTS` ones, which are
`OPENING_SEGMENT_SECONDS` long: a player needs one whole segment to start, and one run's encoders move in step,
so the first segment of every rung is out once the largest rung has that much picture. Half-second opening
segments make an upload playable about a second after its encode starts, for three more keyframes per stream in
the film's first two seconds. Every encoder is forced to a
keyframe at each segment boundary and makes no keyframe of its own choosing (x264's scene-cut detection off,
libvpx's keyframe interval fixed far beyond a segment), so all rungs, whichever job encodes them, start their
segments on the same frames and a player can switch between rungs at any segment. Playlists are of type EVENT:
the muxer appends each segment as it closes and writes ENDLIST at the end; `temp_file` makes every segment and
playlist appear whole (written aside, then renamed), so whatever a playlist lists can be published at once.

Each distinct size is scaled once and split between its mp4 and webm encoders, so a job pays for one decode
and one scale per size however many outputs it writes. Sizes are scaled in a cascade, each from the next
larger one (already 4:2:0, square pixels) rather than from the source: reading a full-size, often 4:2:2
picture is most of a scaler's cost, and the cascade's extra softening is far below what the encoders remove
(480p from 720p: SSIM within 0.0003 of a direct scale after encoding).

Encoder settings are the fast end of each codec, chosen with `bench/transcode.py` on a 2-core machine:
x264 `veryfast` (CRF 23 with a VBV ceiling) and libvpx VP9 in realtime mode, `cpu-used 8`, row
multithreading and tile columns sized to the picture.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from flmnchll.media import graph
from flmnchll.media.hls import OPENING_SEGMENT_SECONDS, OPENING_SEGMENTS, SEGMENT_SECONDS
from flmnchll.media.ladder import Rendition
from flmnchll.media.probe import MediaInfo

#: libvpx's own keyframe interval (frames): far beyond any segment, so only the forced keyframes occur.
VP9_KEYFRAME_INTERVAL = 9999
INIT_NAME = "init.mp4"
PLAYLIST_NAME = "index.m3u8"
#: ffmpeg's one-variant master playlist beside each stream: the CODECS string it derives from the encoder.
VARIANT_NAME = "variant.m3u8"
REFERENCE_PIXELS = 1920 * 1080


def default_threads() -> int:
    """Encoder threads: every core the worker may use (its CPU affinity, not the host's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class EncoderSettings:
    x264_preset: str = "veryfast"
    x264_crf: int = 23
    vp9_cpu_used: int = 8
    vp9_deadline: str = "realtime"
    audio_aac_kbps: int = 128
    audio_opus_kbps: int = 96
    threads: int = 0  # 0: default_threads()
    scale_flags: str = "bicubic"

    @property
    def thread_count(self) -> int:
        return self.threads or default_threads()


def video_kbps(rendition: Rendition) -> int:
    """Target bitrate: 3 Mb/s at 1080p, scaled by pixel count to the 0.75 power (bits grow slower than area)."""
    return max(250, int(3000 * (rendition.pixels / REFERENCE_PIXELS) ** 0.75))


def tile_columns(width: int) -> int:
    """log2 of VP9 tile columns: one per 256 px of width is VP9's minimum tile width, at most 4 (16 tiles)."""
    columns = 0
    while (256 << (columns + 1)) <= width and columns < 4:
        columns += 1
    return columns


def keyframe_times(count: int) -> list[float]:
    """The first `count` segment boundaries, in seconds: where `KEYFRAME_EXPRESSION` forces keyframes (on the
    first frame at or after each, so a segment may be a frame longer or shorter where a boundary falls between
    two frames)."""
    return [float(n * OPENING_SEGMENT_SECONDS if n < OPENING_SEGMENTS
                  else (n - OPENING_SEGMENTS + 1) * SEGMENT_SECONDS) for n in range(count)]


#: ffmpeg's force_key_frames expression for the boundaries of `keyframe_times` (n_forced: keyframes so far)
KEYFRAME_EXPRESSION = (f"expr:gte(t,if(lt(n_forced,{OPENING_SEGMENTS}),n_forced*{OPENING_SEGMENT_SECONDS},"
                       f"(n_forced-{OPENING_SEGMENTS - 1})*{SEGMENT_SECONDS}))")


def _video_options(rendition: Rendition, settings: EncoderSettings) -> graph.Options:
    """The encoder's options: a keyframe at each segment boundary and none of its own, a VBV ceiling."""
    kbps = video_kbps(rendition)
    common: dict[str, graph.Value] = {
        "pix_fmt": "yuv420p", "maxrate": f"{int(kbps * 1.5)}k", "bufsize": f"{kbps * 3}k",
        "force_key_frames": KEYFRAME_EXPRESSION, "threads:v": settings.thread_count}
    if rendition.container == "mp4":
        return {"c:v": "libx264", "preset": settings.x264_preset, "profile:v": "high", "crf": settings.x264_crf,
                "sc_threshold": 0, **common}
    return {"c:v": "libvpx-vp9", "deadline": settings.vp9_deadline, "cpu-used": settings.vp9_cpu_used,
            "row-mt": 1, "tile-columns": tile_columns(rendition.width), "frame-parallel": 0, "b:v": f"{kbps}k",
            "g": VP9_KEYFRAME_INTERVAL, "keyint_min": VP9_KEYFRAME_INTERVAL, **common}


def _audio_options(rendition: Rendition, info: MediaInfo, settings: EncoderSettings) -> graph.Options:
    if rendition.copy_audio:
        return {"c:a": "copy"}
    downmix = {"ac": 2} if info.audio_channels > 2 else {}
    if rendition.container == "mp4":
        return {"c:a": "aac", "b:a": f"{settings.audio_aac_kbps}k", **downmix}
    return {"c:a": "libopus", "b:a": f"{settings.audio_opus_kbps}k", **downmix}


def _hls_options(folder: Path) -> graph.Options:
    return {"f": "hls", "hls_init_time": OPENING_SEGMENT_SECONDS, "hls_time": SEGMENT_SECONDS,
            "hls_playlist_type": "event", "hls_segment_type": "fmp4", "hls_fmp4_init_filename": INIT_NAME,
            "hls_segment_filename": str(folder / "seg-%05d.m4s"), "hls_flags": "temp_file+independent_segments",
            "master_pl_name": VARIANT_NAME}


def progressive_remux(fragmented: Path, container: str, target: Path) -> graph.Command:
    """Remux a stream (its init segment and media segments joined into one fragmented MP4) into a progressive
    file: no second encode, index first so a browser starts playing before the whole file arrives."""
    joined = graph.source(fragmented)
    muxer: graph.Options = {"movflags": "+faststart", "f": "mp4"} if container == "mp4" else {
        "cues_to_front": 1, "f": "webm"}
    picture_and_sound = [joined.stream("v"), joined.stream("a?")]
    return graph.command([graph.output(picture_and_sound, target, {"c": "copy", "map_metadata": -1, **muxer})])


def _scale_cascade(video: graph.Stream, wanted: Counter[tuple[int, int]],
                   flags: str) -> dict[tuple[int, int], list[graph.Stream]]:
    """Each size made from the next larger one, the largest from `video`, and split into as many copies as
    outputs want it (`wanted`: how many outputs want each size)."""
    copies: dict[tuple[int, int], list[graph.Stream]] = {}
    head = video
    ordered = sorted(wanted, key=lambda size: size[0] * size[1], reverse=True)
    for n, (width, height) in enumerate(ordered):
        scaled = head.filter("scale", width, height, flags=flags).filter("setsar", 1).filter("format", "yuv420p")
        feeds_smaller = n + 1 < len(ordered)
        branches = scaled.split(wanted[(width, height)] + feeds_smaller)
        copies[(width, height)] = branches[: wanted[(width, height)]]
        head = branches[-1]
    return copies


def command(source: Path | str, info: MediaInfo, outputs: Sequence[tuple[Rendition, Path]],
            settings: EncoderSettings | None = None, until: float | None = None) -> graph.Command:
    """The ffmpeg run writing every `(rendition, folder)` as an HLS stream into its folder, from one decode;
    `until`: only the film's first seconds (a stream that ends there, on a segment boundary if it is one)."""
    settings = settings or EncoderSettings()
    film = graph.source(source)
    sound = film.stream(info.audio_index) if info.audio_index is not None else None
    pictures = _scale_cascade(film.stream(info.video_index),
                              Counter((rendition.width, rendition.height) for rendition, _ in outputs),
                              settings.scale_flags)
    written = []
    for rendition, folder in outputs:
        taken = [pictures[(rendition.width, rendition.height)].pop(0)]
        options = dict(_video_options(rendition, settings))
        if rendition.audio and sound is not None:
            taken.append(sound)
            options.update(_audio_options(rendition, info, settings))
        options.update({"map_metadata": -1, "map_chapters": -1, **_hls_options(folder)})
        if until is not None:
            options["t"] = until
        written.append(graph.output(taken, folder / PLAYLIST_NAME, options))
    return graph.command(written)
