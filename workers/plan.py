"""An item's plan as its jobs share it out: which stage makes each rendition, and what the catalog stores of it.

The catalog keeps these entries to weigh progress and to know when the item is complete; the stage names are
also the suffixes of the jobs' ids.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from flmnchll.media.ladder import Plan, Rendition, downscale_batches

OFF = {"0", "off", "false", "no"}


def _setting(name: str, default: str) -> bool:
    return os.environ.get(name, default).strip().lower() not in OFF


def progressive_files() -> bool:
    """Whether each stream is also remuxed into a progressive mp4/webm (`PROGRESSIVE_FILES`, default on)."""
    return _setting("PROGRESSIVE_FILES", "on")


def split_ladder() -> bool:
    """Whether the lower rungs get `downscale` jobs of their own (`SPLIT_LADDER`, default off).

    Off, the `transcode` job encodes the whole ladder in one pass: one decode and one full-size scale of the
    source, the least CPU there is. On, a second job decodes the source again for the lower rungs: that costs
    about a sixth more CPU in all, and is worth it only when the `downscale` workers have cores of their own
    (other machines), which then finish the item sooner. docs/streaming.md has the figures.
    """
    return _setting("SPLIT_LADDER", "off")


@dataclass(frozen=True)
class Shares:
    """What each job of an item encodes: `transcode` by the transcode job, each of `batches` by a downscale job."""

    transcode: tuple[Rendition, ...]
    batches: tuple[tuple[Rendition, ...], ...]


def shares(plan: Plan, split: bool) -> Shares:
    """The plan's renditions shared out between the jobs (`split`: the `split_ladder` setting)."""
    if not split:
        return Shares(transcode=plan.all, batches=())
    return Shares(transcode=plan.source, batches=tuple(downscale_batches(plan)))


def downscale_stage(position: int) -> str:
    """The stage (and job id suffix) of the n-th downscale batch of a plan."""
    return f"downscale-{position + 1}"


def plan_entries(shared: Shares, progressive: bool) -> list[dict[str, Any]]:
    """The plan as the catalog stores it: which stage makes each rendition and what it weighs for progress
    (roughly its encoding cost: pixels, VP9 about three times H.264), its stream and whether a progressive
    file is made of it."""

    def entry(rendition: Rendition, stage: str) -> dict[str, Any]:
        weight = (3.0 if rendition.container == "webm" else 1.0) * rendition.pixels / 1e5
        return {**rendition.to_dict(), "stream": rendition.stream, "stage": stage, "weight": weight,
                "progressive": progressive}

    entries = [entry(r, "transcode") for r in shared.transcode]
    for position, batch in enumerate(shared.batches):
        entries += [entry(r, downscale_stage(position)) for r in batch]
    return entries
