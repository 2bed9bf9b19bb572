"""Subtitles as browsers want them: WebVTT. SubRip is converted; both are checked for at least one cue."""

from __future__ import annotations

import re

TIMING = re.compile(
    r"^\s*(\d{1,2}:)?\d{1,2}:\d{2}[.,]\d{1,3}\s*-->\s*(\d{1,2}:)?\d{1,2}:\d{2}[.,]\d{1,3}")
SRT_TIME = re.compile(r"(\d{1,2}:\d{2}:\d{2}),(\d{1,3})")
MAX_BYTES = 2 * 1024 * 1024


# ISO 639-2 codes found in containers → the BCP 47 code browsers expect in <track srclang> and a label.
LANGUAGES = {
    "ara": ("ar", "العربية"), "chi": ("zh", "中文"), "zho": ("zh", "中文"), "cze": ("cs", "Čeština"),
    "ces": ("cs", "Čeština"), "dan": ("da", "Dansk"), "dut": ("nl", "Nederlands"), "nld": ("nl", "Nederlands"),
    "eng": ("en", "English"), "fin": ("fi", "Suomi"), "fre": ("fr", "Français"), "fra": ("fr", "Français"),
    "ger": ("de", "Deutsch"), "deu": ("de", "Deutsch"), "gre": ("el", "Ελληνικά"), "ell": ("el", "Ελληνικά"),
    "heb": ("he", "עברית"), "hin": ("hi", "हिन्दी"), "hun": ("hu", "Magyar"), "ita": ("it", "Italiano"),
    "jpn": ("ja", "日本語"), "kor": ("ko", "한국어"), "nor": ("no", "Norsk"), "pol": ("pl", "Polski"),
    "por": ("pt", "Português"), "rum": ("ro", "Română"), "ron": ("ro", "Română"), "rus": ("ru", "Русский"),
    "spa": ("es", "Español"), "swe": ("sv", "Svenska"), "tur": ("tr", "Türkçe"), "ukr": ("uk", "Українська"),
}


def language(code: str) -> tuple[str, str]:
    """(BCP 47 code, label) for a container's language tag; unknown codes are kept, `und` is "Subtitles"."""
    code = (code or "und").strip().lower()
    if code in LANGUAGES:
        return LANGUAGES[code]
    if code == "und" or not re.match(r"^[a-z]{2,3}$", code):
        return "und", "Subtitles"
    return code, code


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
