"""The stats and health-check functions on the running stack: usage deltas, replay, probes, access, metrics.

The stack is shared with other suites, so usage checks compare before/after values of what this test did.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from typing import Any

import pytest
import requests
import yaml
from prometheus_client.parser import text_string_to_metric_families

from ops.instance import REPO

VIEW_AFTER_SECONDS = 5


def _stats(stack: Any, token: str) -> dict[str, Any]:
    response = stack.call("stats", method="GET", token=token)
    assert response.status_code == 200, response.text
    return response.json()


def _per_video(doc: dict[str, Any]) -> dict[str, int]:
    return {row["content_id"]: row["views"] for row in doc["views_per_video"]}


def _item(stack: Any, title: str) -> str:
    content_id = "c" + secrets.token_hex(8)
    stack.db().content.insert_one({"_id": content_id, "title": title, "description": "", "duration": 600.0,
                                   "status": "ready", "thumbnail": None, "renditions": [], "subtitles": []})
    return content_id


def _watch_together(stack: Any, host: dict, guest: dict, content_id: str) -> None:
    """Both members play the item in a room for a little more than the view threshold."""
    room = stack.call("create-room", token=host["token"], json={"name": "Stats", "content_id": content_id})
    assert room.status_code == 201, room.text
    rid = room.json()["id"]
    for member in (host, guest):
        assert stack.call("join-room", token=member["token"], json={"room_id": rid}).status_code == 200
    for _ in range(3):
        for member in (host, guest):
            beat = stack.call("room", f"{rid}/heartbeat", token=member["token"],
                              json={"position": 10.0, "playing": True})
            assert beat.status_code == 200, beat.text
        time.sleep(VIEW_AFTER_SECONDS / 2 + 0.3)


def _probe(stack: Any) -> dict[str, Any]:
    response = stack.call("health-check", headers={"X-Internal-Secret": stack.secret("service-key")},
                          timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


def test_two_viewers_change_the_numbers_by_exactly_what_they_did(stack: Any) -> None:
    admin = stack.admin_token()
    content_id = _item(stack, "Stats test film")
    _probe(stack)  # the scheduled run recounts accounts; run it now rather than wait for the minute
    before = _stats(stack, admin)
    host, guest = stack.signup_login("statshost"), stack.signup_login("statsguest")
    _watch_together(stack, host, guest, content_id)
    after = _stats(stack, stack.admin_token())  # no probe in between: new accounts count at once
    assert after["total_users"] - before["total_users"] == 2
    assert after["total_views"] - before["total_views"] == 2
    assert _per_video(after)[content_id] == 2 and content_id not in _per_video(before)
    assert {"content_id": content_id, "title": "Stats test film", "views": 2} in after["views_per_video"]
    assert after["dau"] - before["dau"] == 2
    assert after["mau"] - before["mau"] == 2
    assert after["series"]["views"][-1] - before["series"]["views"][-1] == 2
    assert after["series"]["active_users"][-1] - before["series"]["active_users"][-1] == 2

    _watch_together(stack, host, guest, content_id)  # replaying on the same day adds no view
    again = _stats(stack, admin)
    assert _per_video(again)[content_id] == 2
    assert again["total_views"] == after["total_views"]
    assert again["dau"] == after["dau"]
    assert stack.db().views.count_documents({"content_id": content_id}) == 2


def test_only_admins_read_stats(stack: Any) -> None:
    viewer = stack.signup_login("statsviewer")
    assert stack.call("stats", method="GET", token=viewer["token"]).status_code == 403
    assert stack.call("stats", "metrics", method="GET", token=viewer["token"]).status_code == 403
    assert stack.call("stats", method="GET").status_code == 401
    forged = stack.call("stats", data=b"{}", headers={"X-Hub-Signature": "sha1=" + "0" * 40})
    assert forged.status_code == 401
    assert stack.call("health-check", headers={"X-Internal-Secret": "wrong"}).status_code == 401
    assert stack.call("health-check", token=viewer["token"]).status_code == 403
    anonymous = stack.call("health-check", method="GET")  # the latest status is for our services and admins
    assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "internal_only"


def test_signed_admin_task(stack: Any) -> None:
    body = stack.admin_task("stats")
    signature = hmac.new(stack.secret("admin-task-key").encode(), body, hashlib.sha1).hexdigest()
    response = stack.call("stats", data=body, headers={"X-Hub-Signature": f"sha1={signature}"})
    assert response.status_code == 200, response.text
    assert {"total_views", "views_per_video", "dau", "mau", "total_users", "services"} <= set(response.json())


def test_faas_cli_invoke_signed(stack: Any) -> None:
    result = stack.faas_cli("invoke", "stats", "-g", stack.gateway_url, "--sign", "X-Hub-Signature",
                            "--key", stack.secret("admin-task-key"), input=stack.admin_task("stats"))
    assert result.returncode == 0, result.stderr.decode()
    assert "total_views" in json.loads(result.stdout)


def _service(doc: dict[str, Any], name: str) -> dict[str, Any]:
    return {s["name"]: s for s in doc["services"]}[name]


@pytest.mark.parametrize("component", ["tusd", "peer-1"])
def test_a_stopped_component_goes_down_and_comes_back(stack: Any, component: str) -> None:
    probed = _probe(stack)
    names = {c["name"]: c["status"] for c in probed["components"]}
    for core in ("gateway", "nginx", "redis", "ferretdb", "coturn", "peer-0", "tusd"):
        assert names.get(core) == "up", probed
    admin = stack.admin_token()
    before = _service(_stats(stack, admin), component)
    assert before["status"] == "up"
    stack.stop_component(component)
    try:
        down = {c["name"]: c for c in _probe(stack)["components"]}[component]
        assert down["status"] == "down"
        during = _service(_stats(stack, admin), component)
        assert during["status"] == "down"
        assert during["uptime_24h"] < before["uptime_24h"] or before["uptime_24h"] < 100
        assert during["uptime_30d"] < 100
        assert during["last_change"] >= during["last_check"][:19]
    finally:
        stack.start_component(component)
    stack.wait_until(lambda: {c["name"]: c["status"] for c in _probe(stack)["components"]}[component] == "up",
                     timeout=30, interval=1)
    assert _service(_stats(stack, admin), component)["status"] == "up"


def test_every_function_is_probed(stack: Any) -> None:
    """Threat model, row "Least privilege": probed at the gateway's open health path, with no admin password."""
    components = {c["name"]: c for c in _probe(stack)["components"]}
    for name in yaml.safe_load((REPO / "stack.yml").read_text())["functions"]:
        assert components[f"function/{name}"]["status"] == "up", components


def test_cron_calls_are_throttled_and_terse(stack: Any) -> None:
    first = stack.call("health-check", headers={"X-Connector": "cron-connector"}, timeout=60)
    second = stack.call("health-check", headers={"X-Connector": "cron-connector"}, timeout=60)
    assert {first.status_code, second.status_code} <= {200, 202}
    assert second.status_code == 202 or first.status_code == 202
    assert "components" not in first.json() and "components" not in second.json()


def test_health_check_is_scheduled(stack: Any) -> None:
    listed = requests.get(stack.gateway_url + "/system/functions",
                          auth=("admin", stack.secret("basic-auth-password")), timeout=10).json()
    annotations = {f["name"]: f.get("annotations") or {} for f in listed}["health-check"]
    assert annotations.get("topic") == "cron-function" and annotations.get("schedule") == "* * * * *"


def test_metrics_pages_parse_and_hold_the_series(stack: Any) -> None:
    response = stack.call("stats", "metrics", method="GET", token=stack.admin_token())
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/plain")
    families = {f.name for f in text_string_to_metric_families(response.text)}
    for name in ("flmnchll_views", "flmnchll_content_views", "flmnchll_users", "flmnchll_active_users_daily",
                 "flmnchll_active_users_monthly", "flmnchll_queue_length", "flmnchll_queue_workers",
                 "flmnchll_job_duration_seconds", "flmnchll_queue_failed_jobs", "flmnchll_content_failed",
                 "flmnchll_component_up", "flmnchll_component_uptime_24h_percent"):
        assert name in families, sorted(families)
    internal = stack.call("stats", "metrics", method="GET",
                          headers={"X-Internal-Secret": stack.secret("service-key")})
    assert internal.status_code == 200
    gateway = requests.get(stack.metrics_url, timeout=10)
    assert gateway.status_code == 200
    gateway_families = {f.name for f in text_string_to_metric_families(gateway.text)}
    assert "gateway_function_invocation" in gateway_families or "gateway_functions_seconds" in gateway_families
