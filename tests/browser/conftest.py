"""What the browser tests prepare through the API before the pages open."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


@pytest.fixture
def create_room(stack: Any) -> Callable[[dict[str, Any], str, str], str]:
    """Makes a room (no PIN) owned by a user from `stack.signup_login`, playing `content_id`; returns its id."""
    def make(owner: dict[str, Any], name: str, content_id: str) -> str:
        response = stack.call("create-room", token=owner["token"], json={"name": name, "content_id": content_id})
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    return make
