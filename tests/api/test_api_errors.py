"""Odd ids in the path get the JSON error every other error uses, whatever their bytes.

Control characters, non-ASCII, invalid UTF-8 and overlong ids are no different from any unknown id: the
function answers `{"error": {"code", "message"}}` with 404 (or 400), never the web framework's own HTML page.
"""

from __future__ import annotations

from typing import Any

import pytest

ODD_IDS = ["%0Aabc", "abc%0A", "%0A", "%0D%0A%09", "%00", "caf%C3%A9", "%E2%80%AE%F0%9F%8E%AC", "%FF%FE", "a" * 600,
           "..%2F..%2Fetc", "%25%30%41"]
CALLS = [("GET", "room/{}", None), ("POST", "room/{}/heartbeat", {"position": 1}), ("GET", "list-content/{}", None),
         ("POST", "content/{}/progress", {"position": 1}), ("POST", "room/{}/vote", {"content_id": "0" * 16})]


@pytest.fixture(scope="module")
def viewer_token(stack: Any) -> str:
    return stack.signup_login("oddid")["token"]


@pytest.mark.parametrize("odd", ODD_IDS)
@pytest.mark.parametrize(("method", "template", "body"), CALLS)
def test_odd_ids_get_a_json_not_found(stack: Any, viewer_token: str, method: str, template: str, body: Any,
                                      odd: str) -> None:
    function, path = template.format(odd).split("/", 1)
    response = stack.call(function, path, method=method, token=viewer_token, json=body)
    assert response.status_code in (400, 404), (function, path, response.status_code, response.text[:300])
    assert response.headers["Content-Type"].startswith("application/json"), (function, path, response.text[:300])
    error = response.json()["error"]
    assert error["code"] and error["message"], error
