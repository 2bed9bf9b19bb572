"""Reading ffmpeg's `-progress pipe:1` output: blocks of `key=value` lines ending with `progress=continue|end`."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ProgressParser:
    """Feed lines; `percent` follows the encoded timestamp against the known duration.

    `out_time_us` is preferred; `out_time_ms` is read as microseconds too (ffmpeg has always written
    microseconds there), and `out_time=HH:MM:SS.micro` is the fallback.
    """

    duration: float
    seconds: float = 0.0
    finished: bool = False
    speed: float | None = None
    fields: dict[str, str] = field(default_factory=dict)

    def feed(self, line: str) -> bool:
        """Consume one line; True when a block ended (a good moment to report)."""
        key, sep, value = line.strip().partition("=")
        if not sep:
            return False
        key, value = key.strip(), value.strip()
        self.fields[key] = value
        if key in ("out_time_us", "out_time_ms"):
            if value.lstrip("-").isdigit():
                self.seconds = max(self.seconds, int(value) / 1_000_000)
        elif key == "out_time" and "out_time_us" not in self.fields:
            self.seconds = max(self.seconds, parse_clock(value))
        elif key == "speed":
            try:
                self.speed = float(value.rstrip("x"))
            except ValueError:
                self.speed = None
        elif key == "progress":
            if value == "end":
                self.finished = True
            return True
        return False

    @property
    def percent(self) -> float:
        if self.finished:
            return 100.0
        if self.duration <= 0:
            return 0.0
        return max(0.0, min(99.9, 100.0 * self.seconds / self.duration))


def parse_clock(text: str) -> float:
    """`HH:MM:SS.ffffff` → seconds; anything unreadable is 0."""
    try:
        hours, minutes, seconds = text.split(":")
        return int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    except ValueError:
        return 0.0
