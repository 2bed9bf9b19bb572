"""Where a job writes: a hidden work folder per stage inside the item's folder, handed to storage when whole.

A job never writes into the media storage directly: it writes here, and `publish` moves each finished file
over, so a file exists in storage whole or not at all. Whatever a job leaves behind is removed by `tidy`.
"""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

from flmnchll import storage
from flmnchll.config import settings


def media_dir(content_id: str) -> Path:
    """The item's local folder: its media on the local backend, only scratch space with S3."""
    return settings().media_dir / content_id


def work_dir(content_id: str, stage: str) -> Path:
    """A fresh, empty work folder for one stage of an item (what a previous attempt left is removed)."""
    path = media_dir(content_id) / f".work-{stage}"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True, exist_ok=True)
    return path


def publish(content_id: str, path: Path, name: str | None = None) -> None:
    """Hand a finished file to the media storage as `<id>/<name>`; it exists whole or not at all."""
    storage.media().move_file(f"{content_id}/{name or path.name}", path)


def tidy(content_id: str, stage: str) -> None:
    """Drop a job's work folder, and the item's folder too when that leaves it empty (the item was deleted)."""
    folder = media_dir(content_id)
    shutil.rmtree(folder / f".work-{stage}", ignore_errors=True)
    with contextlib.suppress(OSError):
        folder.rmdir()
