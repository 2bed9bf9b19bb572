"""The one percentile every benchmark reports with, so that a p95 means the same in every table."""

from __future__ import annotations

import math
from collections.abc import Iterable


def percentile(values: Iterable[float], fraction: float) -> float:
    """The value at rank round(fraction × n) of the sorted values (the median's rank for 0.5); NaN for none."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]
