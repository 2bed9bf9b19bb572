"""The media disk fills up during a transcode: the item fails at once with a reason an administrator can act on,
only whole renditions are ever published, and once space is back the next upload is processed as usual.

The fault instance's media folder becomes a 1 MB file system (a tmpfs; mounting needs root): room for the
480p renditions of the test clip, not for the 720p ones.
"""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import Stack
from tests.content.conftest import Uploads, ffmpeg_pids, item, wait_for
from tests.content.renditions import check_rendition
from tests.faults.conftest import upload
from tests.faults.figures import report

pytestmark = pytest.mark.faults

EXTRAS = {"poster.jpg", "sprite.jpg", "sprite.vtt"}  #: thumbnails, cut when the smallest rendition is out
#: the item's stream: segments are published one by one, each whole, and a playlist lists only whole ones
STREAM = "hls"


@contextlib.contextmanager
def small_disk(folder: Path, size: str) -> Iterator[Callable[[str], None]]:
    """A tmpfs of `size` over `folder` for the block (what was there shows again after); yields a resizer."""
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(folder)],
                             capture_output=True, text=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small file system here: {mounted.stderr.strip()}")

    def resize(new_size: str) -> None:
        subprocess.run(["mount", "-o", f"remount,size={new_size}", str(folder)], check=True)

    try:
        yield resize
    finally:
        if subprocess.run(["umount", str(folder)], check=False).returncode != 0:
            subprocess.run(["umount", "--lazy", str(folder)], check=True)


def settled(folder: Path) -> bool:
    """No job of the item is still writing: no ffmpeg, no work folder."""
    return not ffmpeg_pids(str(folder)) and not any(p.name.startswith(".work-") for p in listing(folder))


def listing(folder: Path) -> list[Path]:
    return list(folder.iterdir()) if folder.exists() else []


def test_full_media_disk_fails_the_item_and_publishes_nothing_half_written(
        faults: Stack, uploads: Uploads, admin_token: str, clip: Path, tmp_path: Path) -> None:
    media = faults.instance.data_dir / "media"
    created: list[str] = []
    try:
        with small_disk(media, "1m") as resize:
            content_id, uploaded = upload(faults, uploads, admin_token, clip, "faults: disk full")
            created.append(content_id)
            failed = wait_for(faults, admin_token, content_id, statuses=("failed", "ready"), timeout=60)
            report("media disk full", failed_after_s=round(time.monotonic() - uploaded, 1))
            assert failed["status"] == "failed", failed
            assert "storage is full" in failed["error"], failed["error"]

            folder = media / content_id
            faults.wait_until(lambda: settled(folder), timeout=30)  # the item's other job may still publish
            final = item(faults, admin_token, content_id)
            assert final["status"] == "failed", final
            published = {p.name for p in listing(folder)} - EXTRAS - {STREAM}
            assert published == {r["name"] for r in final["renditions"]}, (published, final["renditions"])
            for rendition in final["renditions"]:
                check_rendition(faults, rendition, {"duration": 4.0, "audio": True}, tmp_path)

            resize("200m")
            content_id, _ = upload(faults, uploads, admin_token, clip, "faults: disk has room again")
            created.append(content_id)
            ready = wait_for(faults, admin_token, content_id, timeout=120)
            assert ready["status"] == "ready", ready
            for rendition in ready["renditions"]:
                check_rendition(faults, rendition, {"duration": 4.0, "audio": True}, tmp_path)
            faults.wait_until(lambda: settled(media / content_id), timeout=30)
    finally:
        for content_id in created:  # their files lived on the small disk only
            faults.call("content", content_id, method="DELETE", token=admin_token)
