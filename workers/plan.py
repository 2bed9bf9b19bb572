"""An item's plan as its jobs share it out: which stage makes each rendition, and what the catalog stores of it.

The catalog keeps these entries to weigh progress and to know when the item is complete; the stage names are
also the suffixes of the jobs' ids.
"""

from __future__ import annotations

import os
from typing import Any

from flmnchll.media.ladder import Plan, Rendition, downscale_batches

OFF = {"0", "off", "false", "no"}


def progressive_files() -> bool:
    """Whether each stream is also remuxed into a progressive mp4/webm (`PROGRESSIVE_FILES`, default on)."""
    return os.environ.get("PROGRESSIVE_FILES", "on").strip().lower() not in OFF


def downscale_stage(position: int) -> str:
    """The stage (and job id suffix) of the n-th downscale batch of a plan."""
    return f"downscale-{position + 1}"


def plan_entries(plan: Plan, progressive: bool) -> list[dict[str, Any]]:
    """The plan as the catalog stores it: which stage makes each rendition and what it weighs for progress
    (roughly its encoding cost: pixels, VP9 about three times H.264), its stream and whether a progressive
    file is made of it."""

    def entry(rendition: Rendition, stage: str) -> dict[str, Any]:
        weight = (3.0 if rendition.container == "webm" else 1.0) * rendition.pixels / 1e5
        return {**rendition.to_dict(), "stream": rendition.stream, "stage": stage, "weight": weight,
                "progressive": progressive}

    entries = [entry(r, "transcode") for r in plan.source]
    for position, batch in enumerate(downscale_batches(plan)):
        entries += [entry(r, downscale_stage(position)) for r in batch]
    return entries
