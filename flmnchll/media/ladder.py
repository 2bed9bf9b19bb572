"""The rendition ladder: which renditions a source gets and at which sizes.

Every rung is delivered twice, as an HLS stream of fragmented-MP4 segments and (unless turned off) as a
progressive file remuxed from those segments: H.264 + AAC (container `mp4`, stream `<rung>p-h264`) for
every browser, and VP9 + Opus (`webm`, stream `<rung>p-vp9`) for browsers without H.264. The video is always
encoded, never copied from the source, because every rung must have its keyframes at the same instants (the
segment boundaries) for a player to switch rungs between two segments; a source's audio already in the
rendition's codec is copied.

Rungs are named by the picture's short side (a 1080x1920 phone video is "1080p"), so portrait and landscape
sources get the same ladder. The source's own size (capped at 2160) is always a rung; every standard rung
below it is added unless it is within 10% of the source (a 500p source gains nothing from a 480p copy).
Sizes keep the display aspect ratio, use square pixels and are even, as H.264 4:2:0 requires.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from typing import Any

from flmnchll.media.probe import MediaInfo

STANDARD_RUNGS = (480, 720, 1080, 2160)
MAX_SHORT_SIDE = 2160
CONTAINERS = ("mp4", "webm")
USEFUL_STEP = 0.9  # a lower rung must be at most 90% of the source's short side to be worth encoding
STREAM_CODECS = {"mp4": "h264", "webm": "vp9"}


@dataclass(frozen=True)
class Rendition:
    container: str
    rung: int
    width: int
    height: int
    audio: bool
    copy_audio: bool = False

    @property
    def name(self) -> str:
        """The progressive file's name, which also names the rendition in the catalog."""
        return f"{self.rung}p.{self.container}"

    @property
    def stream(self) -> str:
        """The HLS stream's folder under `hls/`."""
        return f"{self.rung}p-{STREAM_CODECS[self.container]}"

    @property
    def pixels(self) -> int:
        return self.width * self.height

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "name": self.name}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Rendition:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True)
class Plan:
    """`source`: the source-size renditions (the transcode job); `lower`: one group per lower rung, lowest first
    (the downscale job, one decode for all of them)."""

    source: tuple[Rendition, ...]
    lower: tuple[tuple[Rendition, ...], ...]

    @property
    def all(self) -> tuple[Rendition, ...]:
        return self.source + tuple(r for group in self.lower for r in group)

    @property
    def smallest(self) -> Rendition:
        return smallest(self.all)


def smallest(renditions: Iterable[Rendition]) -> Rendition:
    """The cheapest rendition to decode, an mp4 on a tie (H.264 decodes faster than VP9 and plays anywhere)."""
    return min(renditions, key=lambda r: (r.pixels, r.container != "mp4"))


def even(value: float) -> int:
    """Round to the nearest even integer, at least 2."""
    return max(2, int(round(value / 2.0)) * 2)


def size_for(info: MediaInfo, short_side: int) -> tuple[int, int]:
    """Display size with the given short side, aspect ratio kept, both sides even."""
    if info.width <= info.height:
        return even(short_side), even(info.height * short_side / info.width)
    return even(info.width * short_side / info.height), even(short_side)


def source_rung(info: MediaInfo) -> int:
    return min(info.short_side, MAX_SHORT_SIDE)


def lower_rungs(info: MediaInfo) -> list[int]:
    top = source_rung(info)
    return [rung for rung in STANDARD_RUNGS if rung <= top * USEFUL_STEP]


def can_copy_audio(info: MediaInfo, container: str) -> bool:
    if not info.has_audio or info.audio_channels > 2:
        return False
    if container == "mp4":
        return info.audio_codec == "aac" and info.audio_profile in ("LC", "")
    return info.audio_codec == "opus"


def downscale_batches(ladder: Plan) -> list[tuple[Rendition, ...]]:
    """How the lower rungs are split into jobs: all together, sharing one decode of the source (a segment of
    the lowest rung is playable seconds after the job starts, so no rendition needs a pass of its own)."""
    lower = tuple(r for group in ladder.lower for r in group)
    return [lower] if lower else []


def plan(info: MediaInfo) -> Plan:
    """The full ladder for a source. Never upscales; silent sources get silent renditions."""
    top = source_rung(info)
    width, height = size_for(info, top)
    if top == info.short_side and (info.width, info.height) == (info.coded_width, info.coded_height):
        width, height = info.width - info.width % 2, info.height - info.height % 2
    source = []
    for container in CONTAINERS:
        source.append(Rendition(container, top, width, height, info.has_audio,
                                copy_audio=can_copy_audio(info, container)))
    lower = []
    for rung in lower_rungs(info):
        w, h = size_for(info, rung)
        lower.append(tuple(Rendition(container, rung, w, h, info.has_audio,
                                     copy_audio=can_copy_audio(info, container)) for container in CONTAINERS))
    return Plan(source=tuple(source), lower=tuple(lower))
