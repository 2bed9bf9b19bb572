"""Which ffmpeg the pipeline runs: FFmpeg 9.0.2 from the pinned `imageio-ffmpeg` wheel, checked by its hash.

FFmpeg 7 and later run every demuxer, decoder, filter graph, encoder and muxer in its own thread, which keeps
both cores busy while one command encodes the whole ladder (Debian 12's ffmpeg 5.1 runs all outputs from one
loop and leaves a core idle). The static build inside `imageio-ffmpeg` 0.8.1 has libx264, libvpx-vp9,
libopus, aac and the HLS muxer. pip's hash mode cannot cover one package among unhashed ones, so the binary
itself is checked against `SHA256` before its first use in a process and at install time
(`python -m flmnchll.media.ffmpeg check`); a different file is refused rather than run.

`FFMPEG_BINARY` may name another build for experiments; it is checked for the same encoders, not the hash.
Debian's `ffprobe` reads the results (probing needs no newer version).
"""

from __future__ import annotations

import functools
import hashlib
import os
import subprocess
import sys
from importlib import util
from pathlib import Path

PACKAGE = "imageio_ffmpeg"
VERSION = "9.0.2"
BINARY = f"binaries/ffmpeg-linux-x86_64-v{VERSION}"
SHA256 = "0d709a0bed1a43f24cd2c420878c63afea4580671b6949ad19ed124572f3bc3d"
ENCODERS = ("libx264", "libvpx-vp9", "aac", "libopus")
MUXERS = ("hls", "mp4", "webm")


class FFmpegMissing(RuntimeError):
    """The pinned ffmpeg is absent, altered or lacks what the pipeline needs."""


def packaged_binary() -> Path:
    """Where the wheel put its binary (found without importing the package, which may pick another ffmpeg)."""
    spec = util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FFmpegMissing(f"the {PACKAGE} package is not installed (requirements.txt pins it)")
    return Path(next(iter(spec.submodule_search_locations))) / BINARY


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@functools.lru_cache(maxsize=1)
def binary() -> str:
    """The ffmpeg to run, verified once per process (workers verify at start, so their jobs inherit it)."""
    override = os.environ.get("FFMPEG_BINARY")
    if override:
        return override
    path = packaged_binary()
    if not path.is_file():
        raise FFmpegMissing(f"{path} is missing: reinstall {PACKAGE} (make install)")
    found = file_sha256(path)
    if found != SHA256:
        raise FFmpegMissing(f"{path} has sha256 {found}, expected {SHA256}: refusing to run it")
    if not os.access(path, os.X_OK):
        path.chmod(path.stat().st_mode | 0o111)
    return str(path)


def missing_features(program: str) -> list[str]:
    """Encoders and muxers the pipeline needs that `program` lacks."""
    def listing(kind: str) -> set[str]:
        out = subprocess.run([program, "-hide_banner", f"-{kind}"], capture_output=True, text=True,
                             check=True, timeout=30).stdout
        return {line.split()[1] for line in out.splitlines() if len(line.split()) > 1}

    encoders, muxers = listing("encoders"), listing("muxers")
    return [f"encoder {name}" for name in ENCODERS if name not in encoders] + \
           [f"muxer {name}" for name in MUXERS if name not in muxers]


def check() -> str:
    """Verify the binary and its features; a line saying what runs."""
    program = binary()
    lacking = missing_features(program)
    if lacking:
        raise FFmpegMissing(f"{program} lacks {', '.join(lacking)}")
    version = subprocess.run([program, "-hide_banner", "-version"], capture_output=True, text=True,
                             check=True, timeout=30).stdout.splitlines()[0]
    return f"{version} ({program}): sha256 and {', '.join(ENCODERS + MUXERS)} checked"


if __name__ == "__main__":
    if sys.argv[1:] not in (["check"], ["path"]):
        raise SystemExit("usage: python -m flmnchll.media.ffmpeg check|path")
    try:
        print(check() if sys.argv[1] == "check" else binary())
    except FFmpegMissing as exc:
        raise SystemExit(f"error: {exc}") from exc
