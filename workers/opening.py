"""The opening of an item's smallest H.264 stream, encoded by a short ffmpeg run of its own beside the job's pass.

The job's one pass keeps all its encoders in step (ffmpeg's scheduler holds the decoder back for the slowest
one), so its first segments of any rung come when the full-size rung's do: seconds later than the smallest rung
alone would take. This run encodes only the film's first `OPENING_SECONDS` of the smallest H.264 rung, with the
same encoder settings and keyframes, straight from the source; the publisher (`workers.streams`) serves its
segments under that stream's names until the pass has as many, then goes on with the pass's own. Both runs write
the same init segment (the same encoder, size and settings), and every segment starts on a keyframe, so a player
may take its first segments from the one and the rest from the other. It costs the decode and encode of those
few seconds once more, and is skipped where it would not come sooner: a short film, or a pass with nothing
larger than that rung.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path

from flmnchll.media import encode
from flmnchll.media.errors import EncodeError, MediaError
from flmnchll.media.ladder import Rendition, smallest
from flmnchll.media.probe import MediaInfo
from flmnchll.media.process import run_ffmpeg

log = logging.getLogger("workers")

#: The two 1 s opening segments and one of 2 s: the run ends on a segment boundary. Enough to start on; a longer
#: opening costs its decode and encode again while taking a core from the pass.
OPENING_SECONDS = 4.0


class Stopped(Exception):
    """The job no longer needs the opening."""


def opening_rendition(renditions: Sequence[Rendition], info: MediaInfo) -> Rendition | None:
    """The rendition worth opening early: the smallest H.264 one, when the film is long enough for it to
    matter and the pass also encodes a larger rung (which is what holds the pass's first segments back)."""
    h264 = [r for r in renditions if r.container == "mp4"]
    if info.duration <= 2 * OPENING_SECONDS or not h264:
        return None
    first = smallest(h264)
    return first if any(r.pixels > first.pixels for r in renditions) else None


class OpeningRun:
    """The opening's ffmpeg run in a thread of its own; a failure only means the pass's segments come later."""

    def __init__(self, source_path: Path, info: MediaInfo, rendition: Rendition, folder: Path) -> None:
        self.rendition = rendition
        self.folder = folder
        self._command = encode.command(source_path, info, [(rendition, folder)], until=OPENING_SECONDS)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="opening", daemon=True)

    def __enter__(self) -> OpeningRun:
        self.folder.mkdir(parents=True, exist_ok=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _progress(self, _percent: float) -> None:
        if self._stop.is_set():
            raise Stopped  # run_ffmpeg kills ffmpeg when its progress callback raises

    def _run(self) -> None:
        try:
            run_ffmpeg(self._command, duration=OPENING_SECONDS, timeout=120.0, on_progress=self._progress,
                       report_every=0.25)
        except Stopped:
            pass
        except (EncodeError, MediaError, OSError) as exc:
            log.warning("the opening of %s failed (the pass's own segments will do): %s", self.rendition.stream,
                        exc)
