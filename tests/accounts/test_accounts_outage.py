"""A store that goes down answers 503 with a message, and the service comes back with it."""

from __future__ import annotations

from typing import Any

import pytest

PASSWORD = "correct horse battery"


def _down_then_up(stack: Any, program: str, check: Any) -> None:
    stack.stop_component(program)
    try:
        check()
    finally:
        stack.start_component(program)


@pytest.mark.parametrize("program, code, word", [("redis", "redis_unavailable", "session store"),
                                                  ("ferretdb", "database_unavailable", "database")])
def test_store_down_is_503_then_recovers(stack: Any, program: str, code: str, word: str) -> None:
    session = stack.signup_login("outage")

    def while_down() -> None:
        for function, path, method, body in [
            ("login", "", "POST", {"username": session["username"], "password": PASSWORD}),
            ("account", "me", "GET", None),
            ("signup", "", "POST", {"username": session["username"] + "x", "password": PASSWORD}),
        ]:
            response = stack.call(function, path, method=method, json=body, token=session["token"], timeout=20,
                                  via_front=True)  # as the browser calls, with the front door's X-Real-IP
            assert response.status_code == 503, (function, response.status_code, response.text)
            error = response.json()["error"]
            assert error["code"] == code and word in error["message"] and "try again" in error["message"]

    _down_then_up(stack, program, while_down)

    def back() -> bool:
        return stack.call("account", "me", method="GET", token=session["token"]).status_code == 200

    stack.wait_until(back, timeout=30)
    assert stack.login(session["username"], PASSWORD)["token"]
