"""Fixtures of the platform tests that run without a stack."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from faas.settings import PACKAGE_ROOT


@pytest.fixture()
def template_app(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The template's index.py with its sample handler, through Flask's test client."""
    monkeypatch.syspath_prepend(str(PACKAGE_ROOT / "templates" / "python3-http"))
    for name in ("index", "function", "function.handler"):
        sys.modules.pop(name, None)
    index = importlib.import_module("index")
    yield index
    for name in ("index", "function", "function.handler"):
        sys.modules.pop(name, None)
