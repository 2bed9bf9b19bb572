"""The FaaS's pure rules, without processes: durations, deploy validation, scaling, cron, secrets, logs."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from faas import async_calls
from faas.cron import cron_functions, next_time
from faas.logs import stream
from faas.secrets import SecretError, SecretStore, check_name
from faas.settings import Settings
from faas.spec import SpecError, parse_deploy_request, parse_duration, parse_scale_request, split_namespace
from tests.scripted_server import ScriptedServer


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("10s", 10), ("1m30s", 90), ("500ms", 0.5), ("1h", 3600), ("2", 2), ("1.5s", 1.5), ("0s", 0)],
)
def test_go_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "soon", "10 s", "s10", "10x"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_deploy_request_defaults_and_scaling_labels() -> None:
    spec = parse_deploy_request({"service": "fn", "image": "img"})
    assert (spec.replicas, spec.min_replicas, spec.max_replicas) == (1, 1, 20)
    assert spec.exec_timeout is None and spec.max_inflight == 0
    spec = parse_deploy_request(
        {
            "service": "fn",
            "image": "img",
            "namespace": "openfaas-fn",
            "envVars": {"exec_timeout": "2s", "max_inflight": "3"},
            "labels": {"com.openfaas.scale.min": "2", "com.openfaas.scale.max": "3"},
        }
    )
    assert spec.replicas == 2 and spec.exec_timeout == 2 and spec.max_inflight == 3
    assert [spec.clamp(n) for n in (0, 1, 2, 3, 9)] == [0, 2, 2, 3, 3]


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        {"image": "x"},
        {"service": "-bad", "image": "x"},
        {"service": "a" * 64, "image": "x"},
        {"service": "fn", "image": " "},
        {"service": "fn", "image": "x", "labels": ["a"]},
        {"service": "fn", "image": "x", "secrets": "one"},
        {"service": "fn", "image": "x", "envVars": {"max_inflight": "-1"}},
        {"service": "fn", "image": "x", "envProcess": 3},
        {"service": "fn", "image": "x", "limits": {"memory": 128}},
        {"service": "fn", "image": "x", "annotations": {"topic": "cron-function", "schedule": "every day"}},
        {"service": "fn", "image": "x", "annotations": {"topic": "cron-function", "schedule": "@every soon"}},
    ],
)
def test_bad_deploy_requests(body: object) -> None:
    with pytest.raises(SpecError):
        parse_deploy_request(body)


def test_scale_requests() -> None:
    assert parse_scale_request({"serviceName": "fn", "replicas": 3}) == 3
    for bad in ({"replicas": -1}, {"replicas": "2"}, {"replicas": True}, {}, []):
        with pytest.raises(SpecError):
            parse_scale_request(bad)


def test_namespaces() -> None:
    assert split_namespace("hello") == ("hello", "openfaas-fn")
    assert split_namespace("hello.openfaas-fn") == ("hello", "openfaas-fn")
    assert split_namespace("hello.other") == ("hello", "other")


def test_cron_selection_and_schedules() -> None:
    functions = [
        {"name": "a", "annotations": {"topic": "cron-function", "schedule": "*/5 * * * *"}},
        {"name": "b", "annotations": {"topic": "other,cron-function", "schedule": "@every 30s"}},
        {"name": "c", "annotations": {"topic": "cron-function"}},
        {"name": "d", "annotations": None},
    ]
    assert cron_functions(functions) == {"a": "*/5 * * * *", "b": "@every 30s"}
    now = 1_700_000_000.0  # 22:13:20 UTC
    assert next_time("*/5 * * * *", now) == 1_700_000_100.0
    assert next_time("@every 30s", now) == now + 30
    with pytest.raises(ValueError):
        next_time("not a schedule", now)


def test_secret_names_and_store(tmp_path: Path) -> None:
    for bad in ("", "../x", "a/b", "UP", ".hidden", "x" * 300, None):
        with pytest.raises(SecretError):
            check_name(bad)
    store = SecretStore(tmp_path / "secrets")
    store.write("api-key", b"v")
    assert store.names() == ["api-key"] and store.read("api-key") == b"v"
    assert (tmp_path / "secrets" / "api-key").stat().st_mode & 0o777 == 0o600
    assert store.delete("api-key") and not store.delete("api-key")


def test_log_stream_tail_and_follow(tmp_path: Path) -> None:
    log = tmp_path / "fn-x.log"
    log.write_text("".join(f"line {i}\n" for i in range(10)))
    lines = [json.loads(item) for item in stream(log, "x", 3, None, False)]
    assert [item["text"] for item in lines] == ["line 7", "line 8", "line 9"]
    assert lines[0]["name"] == "x" and lines[0]["namespace"] == "openfaas-fn"
    deadline = time.monotonic() + 2
    follower = stream(log, "x", 1, None, True, keep_going=lambda: time.monotonic() < deadline)
    assert json.loads(next(follower))["text"] == "line 9"
    with log.open("a") as handle:
        handle.write("fresh\n")
    assert json.loads(next(follower))["text"] == "fresh"
    assert list(stream(tmp_path / "missing.log", "x", None, None, False)) == []


def test_settings_from_environment(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "FAAS_GATEWAY_PORT": "9999",
            "FAAS_FUNCTIONS_PATH": f"{tmp_path / 'a'}:{tmp_path / 'b'}",
            "FAAS_SECRETS_DIR": str(tmp_path / "s"),
            "FAAS_BIND": "0.0.0.0",
        }
    )
    assert settings.gateway_port == 9999 and settings.metrics_port == 8082
    assert settings.functions_path == (tmp_path / "a", tmp_path / "b")
    assert settings.redis_password_file == tmp_path / "s" / "redis-password"
    assert settings.gateway_url == "http://127.0.0.1:9999"
    with pytest.raises(ValueError, match="FAAS_GATEWAY_PORT"):
        Settings.from_env({"FAAS_GATEWAY_PORT": "eighty"})


def test_template_adapter_shapes_responses(template_app: Any) -> None:
    index = template_app
    client = index.app.test_client()
    response = client.post("/a/b?x=1", data=b"hi")
    assert response.status_code == 200
    assert response.json == {"method": "POST", "path": "/a/b", "body": "hi"}
    shape = index.format_response
    with index.app.app_context():
        r = shape({"statusCode": 201, "body": "made", "headers": {"X-A": "1"}})
        assert (r.status_code, r.get_data(), r.headers["X-A"]) == (201, b"made", "1")
        r = shape({"statusCode": 202, "body": {"ok": True}})
        assert (r.status_code, r.json) == (202, {"ok": True})
        r = shape({"items": [1, 2]})
        assert (r.status_code, r.json, r.mimetype) == (200, {"items": [1, 2]}, "application/json")
        r = shape(None)
        assert (r.status_code, r.get_data()) == (200, b"")
        r = shape(b"\x00\x01")
        assert r.get_data() == b"\x00\x01"


# ---- async callback allow-list (ASYNC_CALLBACK_ALLOW) ----------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8123/done",
        "http://127.9.9.9/",
        "http://[::1]:9000/x",
        "http://localhost:3000/cb",
        "http://results/cb",  # a service of the same namespace
        "http://results.media.svc.cluster.local:8080/cb",
        "https://results.media.svc.cluster.local./cb",
    ],
)
def test_default_callback_allow_list_takes_loopback_and_the_clusters_services(url: str) -> None:
    assert Settings.from_env({}).callback_allow.refusal(url) is None


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://example.com/cb", "example.com is not on the callback allow-list"),
        ("http://169.254.169.254/latest/meta-data", "169.254.169.254 is not on"),
        ("http://10.0.0.7:8080/", "10.0.0.7:8080 is not on"),
        ("http://2130706433/", "2130706433 is not on"),  # 127.0.0.1 spelt as one number: names are not addresses
        ("http://0x7f000001/", "is not on"),
        ("http://127.1/", "127.1 is not on"),
        ("http://svc.cluster.local.evil.example/", "is not on"),
        ("http://[::ffff:169.254.169.254]/", "is not on"),
        ("http://127.0.0.1@evil.example/", "user name or password"),
        ("http://evil.example\\@127.0.0.1/", "backslashes"),
        ("ftp://127.0.0.1/", "http:// or https://"),
        ("file:///etc/passwd", "http:// or https://"),
        ("127.0.0.1:8000/cb", "http:// or https://"),
        ("http://127.0.0.1:99999/", "cannot be parsed"),
    ],
)
def test_callback_urls_off_the_allow_list_are_refused_with_the_reason(url: str, why: str) -> None:
    refusal = Settings.from_env({}).callback_allow.refusal(url)
    assert refusal is not None and why in refusal


def test_callback_allow_list_entries() -> None:
    allow = Settings.from_env(
        {"ASYNC_CALLBACK_ALLOW": " 10.1.0.0/16 , hooks.example.org, *.internal.example, https://ci.example.com/hook/"}
    ).callback_allow
    allowed = ["http://10.1.200.3:81/", "http://hooks.example.org/x", "http://a.b.internal.example/",
               "https://ci.example.com/hook/build/7", "https://ci.example.com:443/hook/"]
    refused = ["http://10.2.0.1/", "http://127.0.0.1/", "http://results/", "http://internal.example/",
               "http://ci.example.com/hook/", "https://ci.example.com:8443/hook/", "https://ci.example.com/hooks",
               "https://ci.example.com/hook/../admin", "http://hooks.example.org.evil.example/"]
    assert [url for url in allowed if allow.refusal(url)] == []
    assert [url for url in refused if allow.refusal(url) is None] == []


@pytest.mark.parametrize("entry", ["not a host!", "*.", "ftp://x/", "http://user@x/", "10.0.0.0/33"])
def test_a_bad_allow_list_entry_stops_the_start_with_its_name(entry: str) -> None:
    with pytest.raises(ValueError, match="ASYNC_CALLBACK_ALLOW"):
        Settings.from_env({"ASYNC_CALLBACK_ALLOW": f"127.0.0.1,{entry}"})


# ---- async results posted to the caller's callback -----------------------------------------------------------


@pytest.fixture
def callback_waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The pauses between a callback's tries, as asked for (not slept)."""
    asked: list[float] = []
    monkeypatch.setattr(async_calls.post_callback.retry, "sleep", asked.append)  # type: ignore[attr-defined]
    return asked


def test_a_callback_receiver_that_drops_a_connection_still_gets_the_result(callback_waits: list[float]) -> None:
    receiver = ScriptedServer([None, None, 200])
    try:
        async_calls.post_callback(receiver.url, b"the answer", {"X-Call-Id": "c1"})
    finally:
        receiver.close()
    assert [r.body for r in receiver.received] == [b"the answer"] * 3
    assert callback_waits == [1.0, 2.0]


def test_a_callback_receiver_that_cannot_be_reached_is_given_up_after_three_tries(
        callback_waits: list[float]) -> None:
    receiver = ScriptedServer([None])
    try:
        async_calls.post_callback(receiver.url, b"the answer", {})  # the async job itself still ends well
    finally:
        receiver.close()
    assert len(receiver.received) == 3 and callback_waits == [1.0, 2.0]


def test_any_answer_of_the_callback_receiver_is_final(callback_waits: list[float]) -> None:
    receiver = ScriptedServer([500])
    try:
        async_calls.post_callback(receiver.url, b"the answer", {})
    finally:
        receiver.close()
    assert len(receiver.received) == 1 and callback_waits == []
