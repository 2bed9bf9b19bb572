"""The fault suite's measured figures: printed as they come (`pytest -s`) and listed again in the run's closing
summary (`conftest.pytest_terminal_summary`), so CI logs show them. Its own module, imported under one name by
the conftest and the tests alike, so both see the one list."""

from __future__ import annotations

from typing import Any

REPORTED: list[str] = []


def report(label: str, **figures: Any) -> None:
    line = f"[faults] {label}: " + ", ".join(f"{k}={v}" for k, v in figures.items())
    REPORTED.append(line)
    print("\n" + line)
