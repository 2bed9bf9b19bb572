"""The stats library on real stores: views, active users, uptime bookkeeping, the document and metrics."""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from flmnchll import auth, openapi, stores
from flmnchll.stats import activity, metrics, summary, uptime, users, views
from flmnchll.stats.health import Result, stun_request, stun_response_ok
from flmnchll.web import Request, validate

REPO = Path(__file__).resolve().parents[2]

NOON = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def test_a_view_counts_once_per_user_item_and_day(clean: Any) -> None:
    assert views.record_view("u1", "c1", 6.0, now=NOON) is True
    assert views.record_view("u1", "c1", 60.0, now=NOON + timedelta(hours=3)) is False
    assert views.record_view("u2", "c1", 6.0, now=NOON) is True
    assert views.record_view("u1", "c2", 6.0, now=NOON) is True
    assert views.record_view("u1", "c1", 6.0, now=NOON + timedelta(days=1)) is True
    assert views.total_views() == 4
    assert views.views_by_content() == {"c1": 3, "c2": 1}
    by_day = dict(views.views_by_day(3, NOON + timedelta(days=1)))
    assert by_day == {"2026-03-09": 0, "2026-03-10": 3, "2026-03-11": 1}
    assert stores.db().views.count_documents({}) == 4


def test_the_durable_record_guards_when_redis_forgot(clean: Any) -> None:
    assert views.record_view("u1", "c1", 6.0, now=NOON) is True
    stores.redis_client().delete("viewed:2026-03-10:u1:c1")
    assert views.record_view("u1", "c1", 6.0, now=NOON) is False
    assert views.total_views() == 1
    assert views.views_by_content() == {"c1": 1}


def test_counters_rebuild_from_records(clean: Any) -> None:
    for user in range(5):
        views.record_view(f"u{user}", "c1", 6.0, now=NOON)
    views.record_view("u0", "c2", 6.0, now=NOON - timedelta(days=1))
    stores.redis_client().flushdb()
    assert views.rebuild_counters() == 6
    assert views.views_by_content() == {"c1": 5, "c2": 1}
    assert dict(views.views_by_day(2, NOON)) == {"2026-03-09": 1, "2026-03-10": 5}


def _account_function() -> Any:
    spec = importlib.util.spec_from_file_location("account_handler", REPO / "functions" / "account" / "handler.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.handle


def test_the_router_counts_a_signed_in_caller_active_and_only_then(clean: Any) -> None:
    """Knowing who calls records nothing; the Router counts the caller once the call is made, answered or not."""
    handle = _account_function()
    token = auth.issue_session(auth.Principal(id="u-caller", username="caller", role="viewer"))
    signed_in = SimpleNamespace(method="GET", path="/me", query={}, body=b"",
                                headers={"Authorization": f"Bearer {token}"})
    auth.authenticate(Request.from_event(signed_in))
    assert activity.daily_active() == 0
    refused = handle(SimpleNamespace(**{**vars(signed_in), "headers": {"Authorization": "Bearer stale"}}), None)
    assert refused["statusCode"] == 401 and activity.daily_active() == 0
    answered = handle(signed_in, None)
    assert answered["statusCode"] == 404  # the session's user has no account in this private database: still a call
    assert activity.daily_active() == 1 and activity.monthly_active() == 1


def test_active_users_exact_and_estimated(clean: Any) -> None:
    for _ in range(3):
        activity.mark_active("a", NOON)
    activity.mark_active("b", NOON)
    activity.mark_active("c", NOON - timedelta(days=10))
    activity.mark_active("d", NOON - timedelta(days=31))
    assert activity.daily_active(NOON) == 2
    assert activity.monthly_active(NOON) == 3  # d is outside the 30 days
    assert activity.estimated_daily_active(NOON) == 2
    assert activity.estimated_monthly_active(NOON) == 3
    series = dict(activity.daily_series(30, NOON))
    assert len(series) == 30 and series["2026-03-10"] == 2 and series["2026-02-28"] == 1


def test_daily_counts_are_kept_in_mongo(clean: Any) -> None:
    activity.mark_active("a", NOON)
    activity.mark_active("b", NOON - timedelta(days=1))
    activity.mark_active("c", NOON - timedelta(days=1))
    assert activity.persist_daily(days=2, now=NOON) == 2
    stored = {doc["_id"]: doc["users"] for doc in stores.db().daily_active.find()}
    assert stored == {"2026-03-10": 1, "2026-03-09": 2}


def _results(**status: bool) -> list[Result]:
    return [Result(name, up, "test") for name, up in status.items()]


def test_uptime_counts_minutes_and_a_down_minute_sticks(clean: Any) -> None:
    start = datetime.now(UTC).replace(second=5, microsecond=0) - timedelta(minutes=10)
    for minute in range(8):
        uptime.record(_results(tusd=True, redis=True), start + timedelta(minutes=minute))
    moment = start + timedelta(minutes=8)
    uptime.record(_results(tusd=False, redis=True), moment)
    uptime.record(_results(tusd=True, redis=True), moment + timedelta(seconds=20))  # same minute: still down
    services = {s["name"]: s for s in uptime.services(moment + timedelta(seconds=30))}
    assert services["tusd"]["status"] == "up"
    assert services["tusd"]["uptime_24h"] == pytest.approx(100 * 8 / 9, abs=0.01)
    assert services["tusd"]["uptime_30d"] == pytest.approx(100 * 8 / 9, abs=0.01)
    assert services["redis"]["uptime_percent"] == 100.0
    assert services["tusd"]["last_change"] == (moment + timedelta(seconds=20)).isoformat()
    assert services["redis"]["last_change"] == start.isoformat()
    assert stores.db().health.count_documents({}) == 10
    assert stores.db().health.count_documents({"down": "tusd"}) == 1


def test_removed_functions_leave_the_status_list(clean: Any) -> None:
    uptime.record([Result("function/a", True), Result("function/b", True)])
    uptime.record([Result("function/a", True)])
    assert [s["name"] for s in uptime.services()] == ["function/a"]


def test_stun_binding_messages() -> None:
    tid = bytes(range(12))
    request = stun_request(tid)
    assert len(request) == 20 and request[:8] == bytes.fromhex("000100002112a442")
    answer = bytes.fromhex("0101000c2112a442") + tid + bytes.fromhex("0020000800011234abcdef01")
    assert stun_response_ok(answer, tid)
    assert not stun_response_ok(answer, bytes(12))
    assert not stun_response_ok(answer[:19], tid)


def test_the_document_has_the_contract_shape(clean: Any) -> None:
    stores.db().content.insert_many([{"_id": "c1", "title": "One"}, {"_id": "c2", "title": "Two"}])
    summary._titles.clear()
    stores.db().users.insert_many([{"_id": f"u{i}", "username": f"u{i}"} for i in range(3)])
    for user, item in (("u0", "c1"), ("u1", "c1"), ("u2", "c2"), ("u2", "gone")):
        views.record_view(user, item, 6.0)
        activity.mark_active(user)
    uptime.record(_results(gateway=True, tusd=False))
    doc = summary.build()
    validate(doc, openapi.schema("Stats"))
    assert doc["total_views"] == 4 and doc["total_users"] == 3 and doc["dau"] == 3 and doc["mau"] == 3
    assert doc["views_per_video"][0] == {"content_id": "c1", "title": "One", "views": 2}
    assert {v["content_id"]: v["title"] for v in doc["views_per_video"]}["gone"] == "(deleted)"
    assert len(doc["series"]["dates"]) == 30 and doc["series"]["dates"][-1] == datetime.now(UTC).strftime("%Y-%m-%d")
    assert doc["series"]["views"][-1] == 4 and doc["series"]["active_users"][-1] == 3
    assert {s["name"]: s["status"] for s in doc["services"]} == {"gateway": "up", "tusd": "down"}
    assert doc["checked_at"]
    assert summary.build(limit=1)["views_per_video"] == doc["views_per_video"][:1]


def test_metrics_page_parses(clean: Any) -> None:
    views.record_view("u0", "c1", 6.0)
    activity.mark_active("u0")
    uptime.record(_results(gateway=True))
    families = {f.name: f for f in text_string_to_metric_families(metrics.render().decode())}
    for name in ("flmnchll_views", "flmnchll_content_views", "flmnchll_users", "flmnchll_active_users_daily",
                 "flmnchll_active_users_monthly", "flmnchll_queue_length", "flmnchll_queue_failed_jobs",
                 "flmnchll_job_duration_seconds", "flmnchll_content_failed", "flmnchll_component_up"):
        assert name in families, sorted(families)
    assert families["flmnchll_content_views"].samples[0].labels == {"content_id": "c1"}
    assert {s.labels["queue"] for s in families["flmnchll_queue_length"].samples} == {"transcode", "downscale"}


def test_the_account_count_lives_in_redis(clean: Any) -> None:
    users.user_added()  # no count yet: nothing to move
    stores.db().users.insert_many([{"_id": f"u{i}", "username": f"u{i}"} for i in range(4)])
    assert users.total_users() == 4  # first read counts
    stores.db().users.insert_one({"_id": "u9", "username": "u9"})
    users.user_added()
    assert users.total_users() == 5
    stores.db().users.delete_many({"_id": {"$in": ["u0", "u1"]}})
    assert users.total_users() == 5  # drift until the scheduled recount
    assert users.reconcile() == 3 and users.total_users() == 3
