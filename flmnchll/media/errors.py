"""Media errors that carry a reason an administrator can act on."""

from __future__ import annotations

import errno


class MediaError(Exception):
    """The input cannot be turned into renditions; retrying will not help.

    `reason` is shown to administrators as the item's error, so it says what is wrong with the file,
    not which ffmpeg function failed.
    """

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


class EncodeError(RuntimeError):
    """ffmpeg failed on an input that probed fine; may be transient (killed, disk full), so retried."""

    def __init__(self, message: str, stderr_tail: str = "") -> None:
        super().__init__(message)
        self.stderr_tail = stderr_tail


DISK_FULL = ("The media storage is full: there was no room to write this video's renditions. Free some space, "
             "then reprocess the video.")

# ffmpeg/ffprobe messages mapped to reasons a person understands; the first match wins.
_KNOWN_REASONS = (
    ("No space left on device", DISK_FULL),
    ("moov atom not found", "The file is incomplete: it looks like an MP4/MOV whose upload or recording was cut off."),
    ("Invalid data found when processing input",
     "The file is not a video ffmpeg can read (corrupt, truncated or not a media file)."),
    ("End of file", "The file ends too early: it is truncated."),
    ("could not find codec parameters", "The video stream is damaged: no decodable frames were found."),
    ("Unknown format", "The file format is not recognised."),
    ("No such file or directory", "The uploaded file is missing from storage."),
)


def explain(stderr: str, fallback: str) -> str:
    """A human reason for an ffmpeg/ffprobe error output."""
    for needle, reason in _KNOWN_REASONS:
        if needle.lower() in stderr.lower():
            return reason
    return fallback


def lasting_reason(exc: BaseException) -> str | None:
    """The reason to show for a failure that retrying cannot fix (the media itself, or a full disk); else None."""
    if isinstance(exc, MediaError):
        return exc.reason
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return DISK_FULL
    return None
