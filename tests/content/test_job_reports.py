"""What a job's outcome does to its item: events that outlast a restarting content manager, work that stops
when its item is gone, and the failures that mark an item failed (and those an item plays without).

The content manager is a scripted HTTP server on loopback; the waits between tries are recorded, not slept.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from flmnchll.media.errors import DISK_FULL, EncodeError, MediaError
from tests.content.conftest import SERVICE_KEY
from tests.scripted_server import ScriptedServer
from workers import failure, report, stage
from workers.report import Cancelled, Reporter
from workers.workspace import publish, work_dir


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The pauses between an event's tries, as asked for."""
    asked: list[float] = []
    monkeypatch.setattr(report.post_event.retry, "sleep", asked.append)  # type: ignore[attr-defined]
    return asked


REPORTER = Reporter("item42", 3, "downscale-1")


def kinds(manager: ScriptedServer) -> list[str]:
    return [event.json()["kind"] for event in manager.received]


def test_an_event_outlasts_a_content_manager_restart(manager: ScriptedServer, waits: list[float]) -> None:
    manager.script = [503, 502, 200]
    assert REPORTER.event("rendition", rendition={"name": "360p.mp4"}) == {"status": 200}
    assert kinds(manager) == ["rendition"] * 3 and waits == [0.5, 1.0]
    first = manager.received[0]
    assert first.path == "/function/content/item42/events" and first.headers["X-Internal-Secret"] == SERVICE_KEY
    assert (first.json()["generation"], first.json()["stage"]) == (3, "downscale-1")


def test_a_content_manager_that_stays_down_fails_the_job_after_five_tries(manager: ScriptedServer,
                                                                          waits: list[float]) -> None:
    manager.script = [503]
    with pytest.raises(RuntimeError, match="content manager refused ready: 503"):
        REPORTER.event("ready")
    assert len(manager.received) == 5 and waits == [0.5, 1.0, 2.0, 4.0]


def test_an_unreachable_content_manager_is_tried_as_often(manager: ScriptedServer, waits: list[float]) -> None:
    manager.close()
    with pytest.raises(report.requests.ConnectionError):
        REPORTER.event("ready")
    assert waits == [0.5, 1.0, 2.0, 4.0]


@pytest.mark.parametrize("status", [404, 409, 410])
def test_work_for_a_deleted_or_reprocessed_item_stops_at_once(manager: ScriptedServer, waits: list[float],
                                                              status: int) -> None:
    manager.script = [status]
    with pytest.raises(Cancelled):
        REPORTER.event("progress", percent=10)
    assert len(manager.received) == 1 and waits == []


def test_an_event_the_content_manager_rejects_is_not_sent_again(manager: ScriptedServer, waits: list[float]) -> None:
    manager.script = [400]
    with pytest.raises(RuntimeError, match="refused stream: 400"):
        REPORTER.event("stream")
    assert len(manager.received) == 1 and waits == []


def test_a_damaged_upload_fails_its_item_at_once_and_leaves_no_work_behind(manager: ScriptedServer) -> None:
    folder = work_dir(REPORTER.content_id, REPORTER.stage)

    def work() -> dict[str, Any]:
        (folder / "half-written.m4s").write_bytes(b"...")
        raise MediaError("The file ends too early: it is truncated.")

    assert stage.run_stage(REPORTER, work, stage.item_fails) == {"failed": "The file ends too early: it is truncated."}
    assert kinds(manager) == ["failed"] and manager.received[0].json()["error"].startswith("The file ends too early")
    assert not folder.exists()


def test_a_full_disk_fails_the_item_with_what_to_do(manager: ScriptedServer) -> None:
    def work() -> dict[str, Any]:
        raise OSError(28, "No space left on device")

    assert stage.run_stage(REPORTER, work, stage.item_fails) == {"failed": DISK_FULL}
    assert manager.received[0].json()["error"] == DISK_FULL


def test_a_passing_failure_is_left_to_the_job_retries(manager: ScriptedServer) -> None:
    def work() -> dict[str, Any]:
        raise EncodeError("ffmpeg was killed")

    with pytest.raises(EncodeError):
        stage.run_stage(REPORTER, work, stage.item_fails)
    assert manager.received == []


def test_an_item_plays_without_extras_that_cannot_be_made(manager: ScriptedServer) -> None:
    thumbnails = Reporter("item42", 3, "thumbnails")

    def work() -> dict[str, Any]:
        raise EncodeError("the sprite could not be cut")

    assert stage.run_stage(thumbnails, work, stage.item_plays_without) == {"failed": "the sprite could not be cut"}
    assert manager.received == []  # the item stays as it is: playable, without a poster


def test_work_whose_item_was_deleted_meanwhile_leaves_nothing_it_published(manager: ScriptedServer,
                                                                           tmp_path: Path) -> None:
    manager.script = [410]
    media = tmp_path / "media" / REPORTER.content_id

    def work() -> dict[str, Any]:
        poster = work_dir(REPORTER.content_id, REPORTER.stage) / "poster.jpg"
        poster.write_bytes(b"\xff\xd8\xff")
        publish(REPORTER.content_id, poster)  # the item was deleted a moment before: this makes its folder again
        assert (media / "poster.jpg").exists()
        REPORTER.event("thumbnail", poster="poster.jpg")
        return {"poster": "poster.jpg"}

    assert stage.run_stage(REPORTER, work, stage.item_plays_without) == {"cancelled": True}
    assert not media.exists()


def test_work_whose_item_went_away_ends_quietly(manager: ScriptedServer) -> None:
    manager.script = [410]

    def work() -> dict[str, Any]:
        REPORTER.event("progress", percent=50)
        return {"renditions": []}

    assert stage.run_stage(REPORTER, work, stage.item_fails) == {"cancelled": True}


class FinishedJob:
    """What the failure callback reads of an RQ job."""

    def __init__(self, retries_left: int) -> None:
        self.id = "content-item42-g3-downscale-1"
        self.retries_left = retries_left
        self.args = ({"content_id": "item42", "generation": 3, "stage": "downscale-1"},)


def test_an_item_is_marked_failed_only_when_its_job_has_no_retry_left(manager: ScriptedServer) -> None:
    crash = type("AbandonedJobError", (Exception,), {})
    failure.on_job_failure(FinishedJob(retries_left=1), None, crash, crash())  # type: ignore[arg-type]
    assert manager.received == []
    failure.on_job_failure(FinishedJob(retries_left=0), None, crash, crash())  # type: ignore[arg-type]
    assert kinds(manager) == ["failed"] and "stopped unexpectedly" in manager.received[0].json()["error"]
