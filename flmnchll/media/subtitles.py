"""Subtitles as browsers want them: WebVTT. SubRip is converted; both are checked for at least one cue."""

from __future__ import annotations

import re

TIMING = re.compile(
    r"^\s*(\d{1,2}:)?\d{1,2}:\d{2}[.,]\d{1,3}\s*-->\s*(\d{1,2}:)?\d{1,2}:\d{2}[.,]\d{1,3}")
SRT_TIME = re.compile(r"(\d{1,2}:\d{2}:\d{2}),(\d{1,3})")
MAX_BYTES = 2 * 1024 * 1024


class SubtitleError(ValueError):
    """The text is not a usable subtitle file."""


def _normalise(text: str) -> str:
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def srt_to_vtt(text: str) -> str:
    """SubRip → WebVTT: header, `,` → `.` in timings, cue counters kept as identifiers (both formats allow them)."""
    lines = []
    for line in _normalise(text).split("\n"):
        if "-->" in line:
            line = SRT_TIME.sub(lambda m: f"{m.group(1)}.{m.group(2).ljust(3, '0')}", line)
        lines.append(line)
    return "WEBVTT\n\n" + "\n".join(lines).strip() + "\n"


def to_vtt(text: str, fmt: str) -> str:
    """Validated WebVTT from an uploaded `.srt` or `.vtt` text."""
    if len(text.encode()) > MAX_BYTES:
        raise SubtitleError("The subtitle file is larger than 2 MB.")
    if fmt == "srt":
        vtt = srt_to_vtt(text)
    elif fmt == "vtt":
        vtt = _normalise(text)
        if not vtt.startswith("WEBVTT"):
            raise SubtitleError("A WebVTT file must start with 'WEBVTT'.")
    else:
        raise SubtitleError("Subtitles must be 'srt' or 'vtt'.")
    if not any(TIMING.match(line) for line in vtt.split("\n")):
        raise SubtitleError("The subtitle file has no cues (no 'start --> end' timing lines).")
    return vtt if vtt.endswith("\n") else vtt + "\n"


def extract_args(source: str, outputs: list[tuple[int, str]]) -> list[str]:
    """ffmpeg arguments writing each text subtitle stream `(index, path)` as WebVTT, in one pass."""
    args = ["-i", source]
    for index, path in outputs:
        args += ["-map", f"0:{index}", "-c:s", "webvtt", "-f", "webvtt", path]
    return args
