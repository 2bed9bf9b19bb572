"""`python -m flmnchll.content.demo`: seed a short generated video through the normal upload path.

The clip (8 s, 1280x720, a tone, English subtitles muxed in as a text track) is made with ffmpeg's lavfi
sources, then uploaded with tus as the `admin` account, so it exercises exactly what an administrator's
upload does: hooks, queues, workers, ready. Seeding is skipped when an item with the demo title exists.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from flmnchll.config import read_secret, settings
from flmnchll.content.tus import upload_file

TITLE = "Welcome to FLMnCHLL"
DESCRIPTION = "A short generated clip with sound and subtitles, so there is something to watch together."
SUBTITLES = """1
00:00:00,500 --> 00:00:03,000
Welcome to FLMnCHLL.

2
00:00:03,500 --> 00:00:07,500
Invite your friends and press play together.
"""


def make_clip(folder: Path, seconds: int = 8) -> Path:
    """A test-pattern video with a tone and an embedded subtitle track."""
    subtitles = folder / "demo.srt"
    subtitles.write_text(SUBTITLES)
    target = folder / "welcome.mkv"
    subprocess.run([
        "ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
        "-f", "lavfi", "-i", f"testsrc2=size=1280x720:rate=25:duration={seconds}",
        "-f", "lavfi", "-i", f"sine=frequency=330:beep_factor=4:duration={seconds}",
        "-i", str(subtitles),
        "-map", "0:v", "-map", "1:a", "-map", "2:s",
        "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-c:s", "srt",
        "-metadata:s:s:0", "language=eng", "-metadata:s:s:0", "title=English",
        str(target)], check=True)
    return target


def login(front: str, password: str) -> str:
    response = requests.post(f"{front}/function/login", json={"username": "admin", "password": password},
                             timeout=30)
    response.raise_for_status()
    return response.json()["token"]


def already_seeded(front: str, token: str) -> bool:
    response = requests.get(f"{front}/function/list-content", params={"q": TITLE, "per_page": "5"},
                            headers={"Authorization": f"Bearer {token}"}, timeout=30)
    response.raise_for_status()
    return any(item["title"] == TITLE and item["status"] != "failed" for item in response.json()["items"])


def seed(front: str, wait: float = 0.0) -> str | None:
    """Upload the demo clip unless present; returns its content id (None when it was already there)."""
    token = login(front, read_secret("admin-password", "ADMIN_PASSWORD"))
    if already_seeded(front, token):
        return None
    with tempfile.TemporaryDirectory(prefix="flmnchll-demo-") as folder:
        clip = make_clip(Path(folder))
        upload = upload_file(f"{front}/uploads/", clip, token, {"title": TITLE, "description": DESCRIPTION,
                                                                "filetype": "video/x-matroska"})
    content_id = upload.content_id
    deadline = time.monotonic() + wait
    while content_id and time.monotonic() < deadline:
        item = requests.get(f"{front}/function/list-content/{content_id}",
                            headers={"Authorization": f"Bearer {token}"}, timeout=30).json()
        if item.get("status") in ("ready", "failed"):
            break
        time.sleep(1)
    return content_id


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m flmnchll.content.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--front", default=settings().public_url, help="front door URL (default: PUBLIC_URL)")
    parser.add_argument("--wait", type=float, default=0.0, help="seconds to wait for the item to be ready")
    args = parser.parse_args(argv)
    content_id = seed(args.front.rstrip("/"), args.wait)
    print(f"demo content: {content_id or 'already present'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
