"""Poster frames and seek-preview sprite sheets with their WebVTT map.

The sprite holds at most 100 tiles 160 px wide, one every `interval` seconds, 10 per row; the WebVTT map
points each time range at its tile with a `#xywh=` fragment, the form players' thumbnail plugins read.
For long videos only keyframes are decoded (renditions have one every 2 s), which makes the sheet cheap.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from flmnchll.media import graph

MAX_TILES = 100
COLUMNS = 10
TILE_WIDTH = 160
#: a single JPEG written in place
_ONE_IMAGE: graph.Options = {"frames:v": 1, "f": "image2", "update": 1}


@dataclass(frozen=True)
class SpriteLayout:
    interval: float
    count: int
    columns: int
    rows: int
    tile_width: int
    tile_height: int

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)


def poster_time(duration: float) -> float:
    """A moment likely to show the subject: a quarter in, but within the first minute, never past the end."""
    return max(0.0, min(duration * 0.25, 60.0, duration - 0.1))


def sprite_layout(duration: float, width: int, height: int) -> SpriteLayout:
    interval = max(1.0, math.ceil(duration / MAX_TILES * 10) / 10)
    count = max(1, min(MAX_TILES, math.ceil(round(duration / interval, 1))))  # no tile for a 20 ms tail
    columns = min(COLUMNS, count)
    rows = math.ceil(count / columns)
    tile_height = max(2, int(round(TILE_WIDTH * height / width / 2)) * 2)
    return SpriteLayout(interval, count, columns, rows, TILE_WIDTH, tile_height)


def poster_command(source: str, duration: float, target: str) -> graph.Command:
    """One frame at `poster_time`, reached by seeking the input (fast: it decodes from the keyframe before)."""
    film = graph.source(source, {"ss": f"{poster_time(duration):.3f}"})
    return graph.command([graph.output([film.stream("v:0")], target, {**_ONE_IMAGE, "q:v": 3})])


def sprite_command(source: str, layout: SpriteLayout, target: str) -> graph.Command:
    """The sprite sheet: a frame every `interval` seconds, scaled to a tile, tiled into one image."""
    film = graph.source(source, {"skip_frame": "nokey"} if layout.interval >= 4 else {})
    tiles = (film.stream("v:0").filter("fps", f"1/{layout.interval}")
             .filter("scale", layout.tile_width, layout.tile_height)
             .filter("tile", f"{layout.columns}x{layout.rows}"))
    return graph.command([graph.output([tiles], target, {**_ONE_IMAGE, "q:v": 5})])


def clock(seconds: float) -> str:
    millis = int(round(seconds * 1000))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def sprite_vtt(layout: SpriteLayout, duration: float, sprite_name: str) -> str:
    """The WebVTT map: one cue per tile, `sprite.jpg#xywh=x,y,w,h` (relative to the map's own URL)."""
    lines = ["WEBVTT", ""]
    for index in range(layout.count):
        start = index * layout.interval
        end = max(duration, start + 0.001) if index == layout.count - 1 else start + layout.interval
        if end <= start:
            break
        x = (index % layout.columns) * layout.tile_width
        y = (index // layout.columns) * layout.tile_height
        lines += [f"{clock(start)} --> {clock(end)}",
                  f"{sprite_name}#xywh={x},{y},{layout.tile_width},{layout.tile_height}", ""]
    return "\n".join(lines)
