"""A room on a film still being encoded (tests/browser/edge.test.mjs, node's test runner) against the test stack.

This side uploads a ten-minute 720p source (a short generated clip looped by stream copy: seconds to make,
minutes to encode), waits until it is playable while still processing, and makes three viewers and a room on
it; node drives one chromium with a context per member. The item is deleted at the end, which stops its encode.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from flmnchll.content.tus import upload_file
from tests.browser.conftest import run_node_tests
from tests.browser.test_sync import HERE
from tests.content.conftest import WORKERS, content_id_of, item, lavfi, make_clip

NODE_TIMEOUT_S = 600
SOURCE_SECONDS = 600
LOOPED_SECONDS = 20
PLAYABLE_WITHIN_S = 240

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(NODE_TIMEOUT_S + 400),
    pytest.mark.usefixtures("browser_tools"),
]


def growing_source(folder: Path) -> Path:
    """SOURCE_SECONDS of 720p test pattern and tone: a short clip, then looped without encoding again."""
    clip = make_clip(folder, "edge-clip.mp4", *lavfi("1280x720", LOOPED_SECONDS), "-c:v", "libx264",
                     "-preset", "veryfast", "-crf", "30", "-g", "50", "-pix_fmt", "yuv420p", "-c:a", "aac",
                     "-shortest")
    return make_clip(folder, "edge-source.mp4", "-stream_loop", "-1", "-i", str(clip), "-t", str(SOURCE_SECONDS),
                     "-c", "copy")


@pytest.fixture
def encoding_item(stack: Any, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """An upload that is playable and still processing; deleted afterwards (its encode stops with it)."""
    for name in WORKERS:
        if not stack.component_pid(name):
            stack.start_component(name)
    token = stack.admin_token()
    source = growing_source(tmp_path)
    upload = upload_file(f"{stack.front_url}/uploads/", source, token,
                         {"title": f"Still encoding {time.time():.0f}", "filetype": "video/mp4"})
    content_id = content_id_of(stack, upload)
    try:
        deadline = time.monotonic() + PLAYABLE_WITHIN_S
        current = item(stack, token, content_id)
        while not current["playable"] and current["status"] == "processing" and time.monotonic() < deadline:
            time.sleep(0.5)
            current = item(stack, token, content_id)
        assert current["playable"] and current["status"] == "processing", \
            f"the upload is not playable while processing: {current['status']}, playable {current['playable']}"
        yield {**current, "admin_token": token}
    finally:
        stack.call("content", content_id, method="DELETE", token=stack.admin_token())


def test_a_room_on_a_film_still_being_encoded(stack: Any, artifacts: Path, create_room: Callable[..., str],
                                              encoding_item: dict[str, Any]) -> None:
    users = [stack.signup_login("edge") for _ in range(3)]
    room = create_room(users[0], "Premiere", encoding_item["id"])
    env = {
        **stack.env,
        "FRONT_URL": stack.front_url,
        "ARTIFACTS_DIR": str(artifacts),
        "EDGE_ROOM": room,
        "EDGE_CONTENT": encoding_item["id"],
        "EDGE_ADMIN_TOKEN": encoding_item["admin_token"],
        "EDGE_DURATION": str(SOURCE_SECONDS),
        "SYNC_USERS": json.dumps([{"token": u["token"], "user": u["user"]} for u in users]),
    }
    run_node_tests(HERE / "edge.test.mjs", env, NODE_TIMEOUT_S, "the browser tests of a film still being encoded")
