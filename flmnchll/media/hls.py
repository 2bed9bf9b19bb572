"""HLS playlists as text: reading what ffmpeg writes, writing an item's master playlist, signing lines.

An item's streams live under `<id>/hls/`: `master.m3u8` lists every rung's stream, each stream folder
(`480p-h264/`, `480p-vp9/`, ...) holds `index.m3u8`, `init.mp4` and `seg-NNNNN.m4s`. Every URI in them is
relative, so a player resolves them against the playlist's own (signed) address.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

#: Every segment's length (s), except the first OPENING_SEGMENTS ones: how the encoder
#: cuts every stream (flmnchll.media.encode) and what each master playlist declares.
SEGMENT_SECONDS = 2
#: the opening segments' length; divides SEGMENT_SECONDS, so the boundaries stay whole segment times after it.
#: A player starts on one whole segment, and an encode's first segment comes once every rung of the pass has
#: that much picture: half a second makes an upload playable about a second after its encode starts.
OPENING_SEGMENT_SECONDS = 0.5
#: how many opening segments make up the film's first SEGMENT_SECONDS
OPENING_SEGMENTS = round(SEGMENT_SECONDS / OPENING_SEGMENT_SECONDS)
ROOT = "hls"
MASTER = "master.m3u8"
PLAYLIST = "index.m3u8"
INIT = "init.mp4"
MIME = "application/vnd.apple.mpegurl"
_ATTRIBUTE = re.compile(r'([A-Z0-9-]+)=("[^"]*"|[^,]*)')
_URI_ATTRIBUTE = re.compile(r'URI="([^"]*)"')
_TARGET_DURATION = re.compile(r"^#EXT-X-TARGETDURATION:(\d+)", re.MULTILINE)


@dataclass(frozen=True)
class Segment:
    uri: str
    duration: float


def segments(playlist: str) -> list[Segment]:
    """The media segments a playlist lists, in order."""
    found, duration = [], None
    for line in playlist.splitlines():
        line = line.strip()
        if line.startswith("#EXTINF:"):
            duration = float(line[len("#EXTINF:"):].split(",", 1)[0])
        elif line and not line.startswith("#"):
            found.append(Segment(line, duration or 0.0))
            duration = None
    return found


def ended(playlist: str) -> bool:
    """True once the playlist is final (ENDLIST): no segment will be added."""
    return any(line.strip() == "#EXT-X-ENDLIST" for line in playlist.splitlines())


def map_uri(playlist: str) -> str | None:
    """The init segment (EXT-X-MAP) of a fragmented-MP4 playlist."""
    for line in playlist.splitlines():
        if line.startswith("#EXT-X-MAP:"):
            found = _URI_ATTRIBUTE.search(line)
            return found.group(1) if found else None
    return None


def with_target_duration(playlist: str, seconds: int) -> str:
    """The playlist announcing at least `seconds` as its target duration. A growing playlist must keep one
    target duration (players time their reloads by it); the muxer writes the longest segment so far, which
    the short opening segments would make change once the first regular segment closes."""
    def raised(found: re.Match[str]) -> str:
        return f"#EXT-X-TARGETDURATION:{max(int(found.group(1)), seconds)}"

    return _TARGET_DURATION.sub(raised, playlist, count=1)


def variant_attributes(master: str) -> dict[str, str]:
    """The attributes of the first EXT-X-STREAM-INF of a master playlist (quotes removed)."""
    for line in master.splitlines():
        if line.startswith("#EXT-X-STREAM-INF:"):
            return {key: value.strip('"') for key, value in _ATTRIBUTE.findall(line[len("#EXT-X-STREAM-INF:"):])}
    return {}


def peak_and_average(playlist: str, sizes: dict[str, int]) -> tuple[int, int]:
    """Bits per second of the busiest segment and of all of them, from the segments' sizes in bytes."""
    timed = [(sizes[s.uri], s.duration) for s in segments(playlist) if s.uri in sizes and s.duration > 0]
    if not timed:
        return 0, 0
    # A short last segment says little about the rate; it counts only when it is the only one.
    full = [item for item in timed if item[1] >= 1.0] or timed
    peak = max(int(size * 8 / duration) for size, duration in full)
    average = int(sum(size for size, _ in timed) * 8 / sum(duration for _, duration in timed))
    return peak, average


#: EXT-X-SESSION-DATA ids declaring where segments fall (the app's player reads them: frontend/src/lib/segmentGrid.ts)
SEGMENT_SECONDS_ID = "com.flmnchll.segment-seconds"
OPENING_SECONDS_ID = "com.flmnchll.opening-segment-seconds"


def master_playlist(streams: Iterable[dict]) -> str:
    """The master playlist of an item: each stream with its BANDWIDTH, AVERAGE-BANDWIDTH, RESOLUTION and
    CODECS, H.264 rungs first (every browser plays them), each codec's rungs from the smallest. It declares
    the segments' length (and the opening ones'), which every rung shares, so that a player joining a room
    mid-film can plan a start that one segment's download covers before it has read any rung's playlist."""
    lines = ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-INDEPENDENT-SEGMENTS",
             f'#EXT-X-SESSION-DATA:DATA-ID="{SEGMENT_SECONDS_ID}",VALUE="{SEGMENT_SECONDS}"',
             f'#EXT-X-SESSION-DATA:DATA-ID="{OPENING_SECONDS_ID}",VALUE="{OPENING_SEGMENT_SECONDS}"']
    ordered = sorted(streams, key=lambda s: (not str(s["codecs"]).startswith("avc1"), s["width"] * s["height"]))
    for stream in ordered:
        attributes = [f"BANDWIDTH={int(stream['bandwidth'])}"]
        if stream.get("average_bandwidth"):
            attributes.append(f"AVERAGE-BANDWIDTH={int(stream['average_bandwidth'])}")
        attributes += [f"RESOLUTION={stream['width']}x{stream['height']}", f'CODECS="{stream["codecs"]}"']
        if stream.get("frame_rate"):
            attributes.append(f"FRAME-RATE={float(stream['frame_rate']):.3f}")
        lines += ["#EXT-X-STREAM-INF:" + ",".join(attributes), f"{stream['name']}/{PLAYLIST}"]
    return "\n".join(lines) + "\n"


def rewrite_uris(playlist: str, sign: Callable[[str], str]) -> str:
    """The playlist with every URI (segment lines and URI="..." attributes) replaced by `sign(uri)`."""
    out = []
    for line in playlist.splitlines():
        if line.startswith("#"):
            line = _URI_ATTRIBUTE.sub(lambda m: f'URI="{sign(m.group(1))}"', line)
        elif line.strip():
            line = sign(line.strip())
        out.append(line)
    return "\n".join(out) + "\n"
