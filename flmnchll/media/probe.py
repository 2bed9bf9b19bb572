"""What a source file holds, read with ffprobe, reduced to the facts the planner needs."""

from __future__ import annotations

import json
import subprocess
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from flmnchll.media.errors import MediaError, explain

FFPROBE_TIMEOUT = 60
TEXT_SUBTITLE_CODECS = {"subrip", "srt", "ass", "ssa", "webvtt", "mov_text", "text"}


@dataclass(frozen=True)
class SubtitleTrack:
    index: int
    codec: str
    lang: str
    title: str


@dataclass(frozen=True)
class MediaInfo:
    """A probed source. `width`/`height` are as displayed: rotation applied, pixels made square."""

    format_name: str
    duration: float
    video_index: int
    video_codec: str
    video_profile: str
    pix_fmt: str
    coded_width: int
    coded_height: int
    width: int
    height: int
    rotation: int
    square_pixels: bool
    frame_rate: float
    audio_index: int | None = None
    audio_codec: str = ""
    audio_profile: str = ""
    audio_channels: int = 0
    subtitles: tuple[SubtitleTrack, ...] = field(default_factory=tuple)

    @property
    def has_audio(self) -> bool:
        return self.audio_index is not None

    @property
    def short_side(self) -> int:
        return min(self.width, self.height)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MediaInfo:
        subs = tuple(SubtitleTrack(**s) for s in data.get("subtitles", ()))
        return cls(**{**data, "subtitles": subs})


def run_ffprobe(path: Path) -> dict[str, Any]:
    """Raw ffprobe JSON; a file ffprobe cannot read becomes a `MediaError` with a human reason."""
    command = ["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams", str(path)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=FFPROBE_TIMEOUT, check=False)
    except subprocess.TimeoutExpired as exc:
        raise MediaError("Reading the file's structure took too long; the file is probably damaged.") from exc
    if done.returncode != 0:
        raise MediaError(explain(done.stderr, "The file could not be read as a video."), done.stderr[-2000:])
    try:
        return json.loads(done.stdout or "{}")
    except ValueError as exc:
        raise MediaError("The file could not be read as a video.") from exc


def _rotation(stream: dict[str, Any]) -> int:
    """Degrees the player must rotate the picture (display matrix side data, or the old `rotate` tag)."""
    for side in stream.get("side_data_list", []) or []:
        if "rotation" in side:
            return int(round(float(side["rotation"]))) % 360
    tag = (stream.get("tags") or {}).get("rotate")
    return int(tag) % 360 if tag and str(tag).lstrip("-").isdigit() else 0


def _ratio(text: str | None) -> Fraction | None:
    if not text or ":" not in text and "/" not in text:
        return None
    num, _, den = text.replace("/", ":").partition(":")
    try:
        value = Fraction(int(num), int(den))
    except (ValueError, ZeroDivisionError):
        return None
    return value if value > 0 else None


def _seconds(raw: Any) -> float:
    """A stream/format duration: seconds as a number, or Matroska's `HH:MM:SS.nnnnnnnnn` tag."""
    if raw is None:
        return 0.0
    text = str(raw)
    try:
        if ":" in text:
            hours, minutes, seconds = text.split(":")
            return int(hours) * 3600 + int(minutes) * 60 + float(seconds)
        return float(text)
    except ValueError:
        return 0.0


def _duration(data: dict[str, Any], streams: list[dict[str, Any]]) -> float:
    """How long the picture and sound last: the longest audio/video stream, else the container's duration.

    A container's duration also covers subtitle or data tracks that outlast the picture; trusting it would
    make a whole file look truncated.
    """
    lengths = [max(_seconds(s.get("duration")), _seconds((s.get("tags") or {}).get("DURATION")))
               for s in streams if s.get("codec_type") in ("video", "audio")]
    best = max(lengths, default=0.0)
    return best if best > 0 else _seconds((data.get("format") or {}).get("duration"))


def parse(data: dict[str, Any]) -> MediaInfo:
    """Turn ffprobe JSON into a `MediaInfo`, refusing inputs that are not videos."""
    streams = data.get("streams") or []
    videos = [s for s in streams if s.get("codec_type") == "video"
              and not (s.get("disposition") or {}).get("attached_pic")]
    if not videos:
        kinds = sorted({s.get("codec_type", "?") for s in streams})
        if kinds:
            raise MediaError(f"The file has no video stream (it holds: {', '.join(kinds)}).")
        raise MediaError("The file is not a video ffmpeg can read (no streams found).")
    video = videos[0]
    coded_w, coded_h = int(video.get("width") or 0), int(video.get("height") or 0)
    if coded_w <= 0 or coded_h <= 0:
        raise MediaError("The video stream has no picture size; the file is probably damaged.")
    duration = _duration(data, [video, *[s for s in streams if s.get("codec_type") == "audio"]])
    if duration <= 0:
        raise MediaError("The video has no duration; the file is probably truncated or damaged.")
    sar = _ratio(video.get("sample_aspect_ratio")) or Fraction(1)
    width = max(2, int(round(coded_w * sar))) if sar != 1 else coded_w
    height = coded_h
    rotation = _rotation(video)
    if rotation in (90, 270):
        width, height = height, width
    rate = _ratio(video.get("avg_frame_rate")) or _ratio(video.get("r_frame_rate")) or Fraction(25)
    audios = [s for s in streams if s.get("codec_type") == "audio"]
    audio = next((s for s in audios if (s.get("disposition") or {}).get("default")), audios[0] if audios else None)
    subtitles = tuple(
        SubtitleTrack(index=int(s["index"]), codec=str(s.get("codec_name", "")),
                      lang=str((s.get("tags") or {}).get("language", "und")),
                      title=str((s.get("tags") or {}).get("title", "")))
        for s in streams
        if s.get("codec_type") == "subtitle" and s.get("codec_name") in TEXT_SUBTITLE_CODECS
    )
    return MediaInfo(
        format_name=str((data.get("format") or {}).get("format_name", "")),
        duration=round(duration, 3),
        video_index=int(video["index"]),
        video_codec=str(video.get("codec_name", "")),
        video_profile=str(video.get("profile", "")),
        pix_fmt=str(video.get("pix_fmt", "")),
        coded_width=coded_w,
        coded_height=coded_h,
        width=width,
        height=height,
        rotation=rotation,
        square_pixels=sar == 1,
        frame_rate=round(float(rate), 3),
        audio_index=int(audio["index"]) if audio else None,
        audio_codec=str(audio.get("codec_name", "")) if audio else "",
        audio_profile=str(audio.get("profile", "")) if audio else "",
        audio_channels=int(audio.get("channels") or 0) if audio else 0,
        subtitles=subtitles,
    )


def probe(path: Path) -> MediaInfo:
    return parse(run_ffprobe(path))
