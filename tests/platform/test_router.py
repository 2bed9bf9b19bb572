"""The functions' Router in process: what reaches a handler, and the answer the template sends back."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from werkzeug.datastructures import Headers as WerkzeugHeaders

from flmnchll.web import Request


def test_a_repeated_header_keeps_every_value() -> None:
    """A forged first X-Forwarded-For cannot stand in for the address our proxy appended last."""
    headers = WerkzeugHeaders([("X-Forwarded-For", "203.0.113.9"), ("X-Forwarded-For", "198.51.100.7"),
                               ("Authorization", "Bearer abc")])
    request = Request.from_event(SimpleNamespace(method="GET", path="/", query={}, body=b"", headers=headers))
    assert request.client_ip == "198.51.100.7"
    assert request.headers.getlist("x-forwarded-for") == ["203.0.113.9", "198.51.100.7"]
    assert request.headers["X-Forwarded-For"] == "203.0.113.9, 198.51.100.7"
    assert request.bearer_token() == "abc"
