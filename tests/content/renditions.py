"""What a whole rendition is: fetched through its signed link, it probes with the right codecs, size and length,
and it starts playing before it is fully downloaded (mp4 `moov` before `mdat`, webm cues before the clusters)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import requests


def download(stack: Any, url: str, target: Path) -> Path:
    response = requests.get(stack.front_url + url, timeout=30)
    assert response.status_code == 200, (url, response.status_code)
    target.write_bytes(response.content)
    return target


def ffprobe(path: Path) -> dict[str, Any]:
    done = subprocess.run(["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams",
                           str(path)], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def mp4_boxes(data: bytes) -> list[str]:
    """Top-level box types of an MP4, in file order."""
    boxes, offset = [], 0
    while offset + 8 <= len(data):
        size = int.from_bytes(data[offset:offset + 4], "big")
        kind = data[offset + 4:offset + 8].decode("latin-1")
        if size == 1:
            size = int.from_bytes(data[offset + 8:offset + 16], "big")
        elif size == 0:
            size = len(data) - offset
        boxes.append(kind)
        offset += max(size, 8)
    return boxes


def _vint(data: bytes, offset: int, keep_marker: bool) -> tuple[int, int]:
    first = data[offset]
    length = 1
    while length <= 8 and not first & (0x80 >> (length - 1)):
        length += 1
    value = first if keep_marker else first & (0xFF >> length)
    for byte in data[offset + 1:offset + length]:
        value = (value << 8) | byte
    return value, offset + length


def webm_segment_children(data: bytes) -> list[int]:
    """IDs of the Segment's children in file order (Cues 0x1C53BB6B, Cluster 0x1F43B675, ...)."""
    offset, children = 0, []
    while offset < len(data):
        element, offset = _vint(data, offset, True)
        size, offset = _vint(data, offset, False)
        if element == 0x18538067:  # Segment: walk into it
            end = len(data)
            while offset < end:
                child, offset = _vint(data, offset, True)
                child_size, offset = _vint(data, offset, False)
                children.append(child)
                if child == 0x1F43B675:
                    return children  # the first cluster is enough
                offset += child_size
            return children
        offset += size
    return children


def check_rendition(stack: Any, rendition: dict[str, Any], source: dict[str, Any], tmp: Path) -> dict[str, Any]:
    path = download(stack, rendition["url"], tmp / rendition["name"])
    assert path.stat().st_size == rendition["size"], (rendition["name"], path.stat().st_size)
    probed = ffprobe(path)
    videos = [s for s in probed["streams"] if s["codec_type"] == "video"]
    audios = [s for s in probed["streams"] if s["codec_type"] == "audio"]
    assert len(videos) == 1
    expected = {"mp4": ("h264", "aac"), "webm": ("vp9", "opus")}[rendition["container"]]
    assert videos[0]["codec_name"] == expected[0]
    assert (videos[0]["width"], videos[0]["height"]) == (rendition["width"], rendition["height"])
    assert not [s for s in videos[0].get("side_data_list", []) if s.get("rotation")], "left rotated"
    assert abs(float(probed["format"]["duration"]) - source["duration"]) <= 0.5
    if source["audio"]:
        assert [a["codec_name"] for a in audios] == [expected[1]]
    else:
        assert audios == []
    data = path.read_bytes()
    if rendition["container"] == "mp4":
        boxes = mp4_boxes(data)
        assert boxes.index("moov") < boxes.index("mdat"), boxes
    else:
        children = webm_segment_children(data)
        assert 0x1C53BB6B in children, "cues must come before the first cluster"
    return probed
