"""The ffmpeg run that extracts a source's text subtitle tracks to WebVTT. Apart from `subtitles` (the text
itself), which the content function imports and which must not bring ffmpeg-python into its image."""

from __future__ import annotations

from flmnchll.media import graph


def extract_command(source: str, outputs: list[tuple[int, str]]) -> graph.Command:
    """The ffmpeg run writing each text subtitle stream `(index, path)` as WebVTT, in one pass."""
    film = graph.source(source)
    return graph.command([graph.output([film.stream(index)], path, {"c:s": "webvtt", "f": "webvtt"})
                          for index, path in outputs])
