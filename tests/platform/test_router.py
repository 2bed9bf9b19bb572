"""The functions' Router in process: what reaches a handler, and the answer the template sends back."""

from __future__ import annotations

import importlib.util
from types import SimpleNamespace
from typing import Any

import pytest
from werkzeug.datastructures import Headers as WerkzeugHeaders

from faas.settings import PACKAGE_ROOT
from flmnchll.web import Request


def _function(name: str) -> Any:
    path = PACKAGE_ROOT / "functions" / name / "handler.py"
    spec = importlib.util.spec_from_file_location(f"handler_{name.replace('-', '_')}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_repeated_header_keeps_every_value() -> None:
    """A forged first X-Forwarded-For cannot stand in for the address our proxy appended last."""
    headers = WerkzeugHeaders([("X-Forwarded-For", "203.0.113.9"), ("X-Forwarded-For", "198.51.100.7"),
                               ("Authorization", "Bearer abc")])
    request = Request.from_event(SimpleNamespace(method="GET", path="/", query={}, body=b"", headers=headers))
    assert request.client_ip == "198.51.100.7"
    assert request.headers.getlist("x-forwarded-for") == ["203.0.113.9", "198.51.100.7"]
    assert request.headers["X-Forwarded-For"] == "203.0.113.9, 198.51.100.7"
    assert request.bearer_token() == "abc"


@pytest.fixture()
def clock(template_app: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The template serving the clock function."""
    monkeypatch.setattr(template_app, "handler", _function("clock"))
    return template_app.app.test_client()


def test_the_clock_echoes_t0_between_its_own_stamps(clock: Any) -> None:
    answer = clock.post("/", json={"t0": 1700000000000.5})
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    assert answer.headers["Cache-Control"] == "no-store"
    stamps = answer.json
    assert stamps["t0"] == 1700000000000.5 and stamps["t1"] <= stamps["t2"]
    asked = clock.get("/?t0=12.5")
    assert asked.json["t0"] == 12.5 and asked.headers["Cache-Control"] == "no-store"
    assert set(clock.get("/").json) == {"t1", "t2"}
    assert set(clock.post("/").json) == {"t1", "t2"}


def test_the_clock_refuses_other_methods_with_allow(clock: Any) -> None:
    refused = clock.put("/", json={"t0": 1})
    assert refused.status_code == 405
    assert refused.headers["Allow"] == "GET, POST" and refused.headers["Cache-Control"] == "no-store"
    assert refused.json["error"]["code"] == "method_not_allowed"


def test_a_clock_t0_that_is_not_a_number_is_a_documented_400(clock: Any) -> None:
    for answer in (clock.get("/?t0=soon"), clock.post("/", json={"t0": "soon"})):
        assert answer.status_code == 400 and answer.json["error"]["message"] == "'t0' must be a number."
