"""The gateway against real function processes: invocation, limits, failures, the /system API and metrics.

Runs on the shared test instance (`stack`), or with FAAS_TEST_INSTANCE=own on a small instance of its own.
"""

from __future__ import annotations

import concurrent.futures
import http.client
import json
import os
import re
import secrets as random
import socket
import stat
import threading
import time
import zlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import redis
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.faas_harness import CallbackServer, instance_for_tests

NOT_FOUND = "error finding function {0}.openfaas-fn: server returned non-200 status code (404) for function, {0}"
STACK_FUNCTIONS: dict[str, dict[str, Any]] = {
    "hello": {
        "envVars": {"GREETING": "hi"},
        "labels": {"com.openfaas.scale.min": "2", "com.openfaas.scale.max": "4"},
        "annotations": {"com.example.purpose": "echo"},
    },
    "sleep": {"envVars": {"exec_timeout": "1s"}},
    "crash": {},
    "inflight": {
        "envVars": {"max_inflight": "1"},
        "labels": {"com.openfaas.scale.min": "1", "com.openfaas.scale.max": "1"},
    },
}


# ---- helpers ---------------------------------------------------------------------------------------------------


def auth(faas: Any) -> tuple[str, str]:
    return ("admin", faas.secret("basic-auth-password"))


def api(faas: Any, method: str, path: str, **kwargs: Any) -> requests.Response:
    kwargs.setdefault("auth", auth(faas))
    kwargs.setdefault("timeout", 30)
    return requests.request(method, faas.gateway_url + path, **kwargs)


def deploy(faas: Any, service: str, method: str = "POST", **fields: Any) -> requests.Response:
    body = {"service": service, "image": f"flmnchll-test/{service}:latest", **fields}
    return api(faas, method, "/system/functions", json=body)


def status(faas: Any, service: str) -> dict[str, Any]:
    response = api(faas, "GET", f"/system/function/{service}")
    assert response.status_code == 200, response.text
    return response.json()


def wait_ready(faas: Any, service: str, replicas: int = 1, timeout: float = 30.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    current: dict[str, Any] = {}
    while time.monotonic() < deadline:
        current = status(faas, service)
        if current["availableReplicas"] >= replicas and current["replicas"] == replicas:
            return current
        time.sleep(0.1)
    raise AssertionError(f"{service} not ready with {replicas} replica(s): {current}")


def call(faas: Any, target: str, method: str = "GET", **kwargs: Any) -> requests.Response:
    kwargs.setdefault("timeout", 30)
    return requests.request(method, f"{faas.gateway_url}/function/{target}", **kwargs)


# ---- fixtures --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def faas(request: pytest.FixtureRequest) -> Iterator[Any]:
    yield from instance_for_tests(request)


@pytest.fixture(scope="module")
def functions(faas: Any) -> Any:
    """The four test functions of tests/functions/stack.yml, deployed like it when they are missing."""
    for name, fields in STACK_FUNCTIONS.items():
        if api(faas, "GET", f"/system/function/{name}").status_code == 404:
            response = deploy(faas, name, **fields)
            assert response.status_code == 202, response.text
    for name in STACK_FUNCTIONS:
        replicas = int(STACK_FUNCTIONS[name].get("labels", {}).get("com.openfaas.scale.min", "1"))
        wait_ready(faas, name, replicas)
    return faas


@pytest.fixture()
def callback() -> Iterator[CallbackServer]:
    server = CallbackServer()
    yield server
    server.close()


@pytest.fixture()
def probe(faas: Any) -> Iterator[str]:
    """A function of the test's own, removed afterwards."""
    yield "probe"
    api(faas, "DELETE", "/system/functions", json={"functionName": "probe"})


# ---- invocation ------------------------------------------------------------------------------------------------


def test_healthz(faas: Any) -> None:
    response = requests.get(f"{faas.gateway_url}/healthz", timeout=5)
    assert response.status_code == 200


def test_request_and_response_pass_through(functions: Any) -> None:
    response = call(
        functions,
        "hello/sub/path%20x?x=1&x=2&y=%C3%A9",
        "POST",
        data=b"payload \x00\xff bytes",
        headers={
            "X-Custom": "v1",
            "Content-Type": "application/octet-stream",
            "Authorization": "Bearer abc",
            "X-Forwarded-For": "203.0.113.7",
        },
    )
    assert response.status_code == 200, response.text
    echo = response.json()
    assert echo["method"] == "POST"
    assert echo["path"] == "/sub/path x"
    assert echo["query"] == {"x": ["1", "2"], "y": ["é"]}
    assert echo["headers"]["X-Custom"] == "v1"
    assert echo["headers"]["Authorization"] == "Bearer abc"
    assert echo["headers"]["Content-Type"] == "application/octet-stream"
    assert echo["headers"]["X-Call-Id"]
    assert echo["headers"]["X-Forwarded-For"] == "203.0.113.7"  # the front door's client address survives
    assert echo["body"] == b"payload \x00\xff bytes".decode("utf-8", "replace")
    assert echo["env"]["GREETING"] == "hi"
    assert response.headers["X-Echo"] == "hello"
    assert response.headers["Set-Cookie"] == "a=1"
    assert response.headers["Content-Type"] == "application/json"
    assert float(response.headers["X-Duration-Seconds"]) > 0


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_methods_and_status_pass_through(functions: Any, method: str) -> None:
    response = call(functions, "hello.openfaas-fn/x?status=418", method, data=b"{}")
    assert response.status_code == 418
    assert response.json()["method"] == method
    assert response.json()["path"] == "/x"


def test_head_has_no_body(functions: Any) -> None:
    response = call(functions, "hello", "HEAD")
    assert response.status_code == 200
    assert response.content == b""


def test_root_path_without_trailing_slash(functions: Any) -> None:
    assert call(functions, "hello").json()["path"] == "/"


def test_round_robin_over_replicas(functions: Any) -> None:
    ports = [call(functions, "hello").json()["port"] for _ in range(8)]
    assert len(set(ports)) == 2
    assert min(ports.count(port) for port in set(ports)) >= 3  # spread evenly, not just failing over


def test_unknown_function_is_404_with_openfaas_text(faas: Any) -> None:
    response = call(faas, "no-such-function/x")
    assert response.status_code == 404
    assert response.text == NOT_FOUND.format("no-such-function")
    response = call(faas, "hello.other-namespace")
    assert response.status_code == 404


def test_oversized_body_is_413(faas: Any) -> None:
    parts = urlsplit(faas.gateway_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.putrequest("POST", "/function/hello")
    conn.putheader("Content-Length", str(512 * 1024 * 1024))
    conn.endheaders()
    conn.send(b"x" * 1024)
    response = conn.getresponse()
    assert response.status == 413
    assert b"too large" in response.read().lower()
    conn.close()


def _raw_exchange(faas: Any, data: bytes) -> bytes:
    """Send bytes as they are and read what comes back until the gateway closes the connection."""
    parts = urlsplit(faas.gateway_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(data)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received


def test_chunked_and_expect_continue_bodies_reach_the_function(functions: Any) -> None:
    chunked = call(functions, "hello", "POST", data=iter([b"first,", b"second"]))  # sent chunked
    assert chunked.status_code == 200
    assert chunked.json()["body"] == "first,second"

    parts = urlsplit(functions.gateway_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.putrequest("POST", "/function/hello")
    conn.putheader("Content-Length", "5")
    conn.putheader("Expect", "100-continue")  # what curl sends before a large body
    conn.endheaders()
    interim = conn.sock.recv(64)
    assert interim.startswith(b"HTTP/1.1 100")
    conn.send(b"hello")
    response = conn.getresponse()
    assert response.status == 200
    assert json.loads(response.read())["body"] == "hello"
    conn.close()


def test_pipelined_and_http10_requests_are_answered_in_order(functions: Any) -> None:
    pipelined = b"".join(
        b"GET /function/hello?status=%d HTTP/1.1\r\nHost: gw\r\n%s\r\n"
        % (code, b"Connection: close\r\n" if code == 202 else b"")
        for code in (201, 418, 202)
    )
    answers = _raw_exchange(functions, pipelined)
    assert re.findall(rb"HTTP/1\.1 (\d{3}) ", answers) == [b"201", b"418", b"202"]
    old = _raw_exchange(functions, b"GET /function/hello HTTP/1.0\r\n\r\n")  # answered, then closed
    assert old.startswith(b"HTTP/1.1 200") and b'"method": "GET"' in old.replace(b'":"', b'": "')


def test_malformed_requests_get_a_clear_400(faas: Any) -> None:
    answer = _raw_exchange(faas, b"NOT AN HTTP REQUEST\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400")
    assert b"Malformed HTTP request" in answer
    assert call(faas, "no-such-function").status_code == 404  # the gateway is still answering


def test_followed_logs_stream_through_the_gateway(faas: Any, probe: str) -> None:
    assert deploy(faas, probe).status_code == 202
    wait_ready(faas, probe)
    assert call(faas, f"{probe}?marker=first").status_code == 200
    with requests.get(
        f"{faas.gateway_url}/system/logs?name={probe}&tail=1&follow=true", auth=auth(faas), stream=True, timeout=15
    ) as response:
        assert response.status_code == 200
        marker = random.token_hex(4)
        assert call(faas, f"{probe}?marker={marker}").status_code == 200
        deadline = time.monotonic() + 10
        for line in response.iter_lines():
            if line.strip() and f"marker={marker}" in json.loads(line)["text"]:
                break
            assert time.monotonic() < deadline, "the new log line did not arrive while following"


def test_exec_timeout_is_504(functions: Any) -> None:
    started = time.monotonic()
    response = call(functions, "sleep?seconds=5", "POST")
    elapsed = time.monotonic() - started
    assert response.status_code == 504
    assert "timed out" in response.text
    assert elapsed < 3.5
    assert call(functions, "sleep?seconds=0.1", "POST").status_code == 200


def test_max_inflight_is_429(functions: Any) -> None:
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        first = pool.submit(call, functions, "inflight?seconds=1.5", "POST")
        time.sleep(0.4)
        second = pool.submit(call, functions, "inflight?seconds=0", "POST")
        codes = sorted([first.result().status_code, second.result().status_code])
    assert codes == [200, 429]
    assert call(functions, "inflight?seconds=0", "POST").status_code == 200


def test_crashed_process_is_restarted(functions: Any) -> None:
    before = call(functions, "crash").json()["pid"]
    response = call(functions, "crash/crash", "POST")
    assert response.status_code == 502
    assert "crash" in response.text
    started = time.monotonic()
    again = call(functions, "crash")
    assert again.status_code == 200, again.text
    assert again.json()["pid"] != before
    assert time.monotonic() - started < 15


def test_broken_function_answers_503_quickly(faas: Any) -> None:
    assert deploy(faas, "broken").status_code == 202
    try:
        started = time.monotonic()
        response = call(faas, "broken")
        assert response.status_code == 503
        assert "broken" in response.text and "/system/logs" in response.text
        assert time.monotonic() - started < 12
        logs = api(faas, "GET", "/system/logs?name=broken&tail=50")
        assert "broken on purpose" in logs.text
    finally:
        api(faas, "DELETE", "/system/functions", json={"functionName": "broken"})


# ---- async -----------------------------------------------------------------------------------------------------


def test_async_call_posts_result_to_callback(functions: Any, callback: CallbackServer) -> None:
    response = requests.post(
        f"{functions.gateway_url}/async-function/hello/async/path?k=v",
        data=b"queued body",
        headers={"X-Callback-Url": callback.url + "/done", "X-Custom": "c"},
        timeout=10,
    )
    assert response.status_code == 202, response.text
    call_id = response.headers["X-Call-Id"]
    result = callback.wait()[0]
    headers = result["headers"]
    assert result["path"] == "/done"
    assert headers["X-Call-Id"] == call_id
    assert headers["X-Function-Status"] == "200"
    assert headers["X-Function-Name"] == "hello"
    assert float(headers["X-Duration-Seconds"]) >= 0
    echo = json.loads(result["body"])
    assert echo["body"] == "queued body"
    assert echo["path"] == "/async/path"
    assert echo["query"] == {"k": ["v"]}
    assert echo["headers"]["X-Custom"] == "c"
    assert echo["headers"]["X-Call-Id"] == call_id


def test_async_timeout_is_reported_to_callback(functions: Any, callback: CallbackServer) -> None:
    response = requests.post(
        f"{functions.gateway_url}/async-function/sleep?seconds=5",
        headers={"X-Callback-Url": callback.url},
        timeout=10,
    )
    assert response.status_code == 202
    headers = callback.wait()[0]["headers"]
    assert headers["X-Function-Status"] == "504"
    assert headers["X-Function-Name"] == "sleep"
    assert headers["X-Call-Id"] == response.headers["X-Call-Id"]


def redis_databases(faas: Any) -> list[redis.Redis]:
    """Every database of the instance's Redis that holds keys (the FaaS queue's and the app's)."""
    port = getattr(faas, "redis_port", None) or faas.instance.ports["redis"]
    password = faas.secret("redis-password")
    first = redis.Redis(port=port, password=password, socket_timeout=10)
    return [redis.Redis(port=port, password=password, db=int(name[2:]), socket_timeout=10)
            for name in first.info("keyspace")]


def _stored_values(db: redis.Redis, key: bytes) -> list[bytes]:
    kind = db.type(key)
    if kind == b"string":
        return [db.get(key) or b""]
    if kind == b"hash":
        return [item for pair in db.hgetall(key).items() for item in pair]
    if kind == b"list":
        return db.lrange(key, 0, -1)
    if kind == b"set":
        return list(db.smembers(key))
    if kind == b"zset":
        return db.zrange(key, 0, -1)
    if kind == b"stream":
        return [item for _, fields in db.xrange(key) for pair in fields.items() for item in pair]
    return []


def keys_holding(faas: Any, secret: str) -> list[str]:
    """Keys whose stored values contain `secret`, looking inside RQ's compressed job data too."""
    needle, found = secret.encode(), []
    for db in redis_databases(faas):
        for key in db.scan_iter(count=1000):
            for value in _stored_values(db, key):
                try:
                    unpacked = zlib.decompress(value)
                except zlib.error:
                    unpacked = b""
                if needle in value or needle in unpacked:
                    found.append(key.decode(errors="replace"))
    return found


def job_status(faas: Any, call_id: str) -> str | None:
    for db in redis_databases(faas):
        status = db.hget(f"rq:job:{call_id}", "status")
        if status is not None:
            return status.decode()
    return None


@pytest.mark.parametrize(
    "url", ["http://example.com/cb", "http://169.254.169.254/latest/meta-data", "http://127.0.0.1@example.com/"]
)
def test_async_callback_off_the_allow_list_is_refused_at_once(functions: Any, url: str) -> None:
    call_id = f"refused-{random.token_hex(6)}"
    response = requests.post(f"{functions.gateway_url}/async-function/hello", data=b"x",
                             headers={"X-Callback-Url": url, "X-Call-Id": call_id}, timeout=10)
    assert response.status_code == 400
    assert response.text.startswith("X-Callback-Url refused: ")
    assert "ASYNC_CALLBACK_ALLOW" in response.text or "user name" in response.text
    assert job_status(functions, call_id) is None  # never queued


def test_async_calls_keep_no_bearer_token_in_redis(functions: Any, callback: CallbackServer) -> None:
    """Finished or failed, a call leaves the caller's Authorization and cookies nowhere in Redis."""
    token, cookie = random.token_urlsafe(24), random.token_urlsafe(24)
    credentials = {"Authorization": f"Bearer {token}", "Cookie": f"session={cookie}"}
    call_ids = {}
    for target, path in (("hello", "/finished"), ("crash/crash", "/failed")):
        response = requests.post(f"{functions.gateway_url}/async-function/{target}", data=b"x", timeout=10,
                                 headers={"X-Callback-Url": callback.url + path, **credentials})
        assert response.status_code == 202, response.text
        call_ids[path] = response.headers["X-Call-Id"]
    results = {result["path"]: result for result in callback.wait(2)}
    echo = json.loads(results["/finished"]["body"])
    assert echo["headers"]["Authorization"] == f"Bearer {token}"  # the function itself still got them
    assert f"session={cookie}" in echo["headers"]["Cookie"]
    assert results["/failed"]["headers"]["X-Function-Status"].startswith("5")
    deadline = time.monotonic() + 30
    while any(job_status(functions, i) not in ("finished", "failed") for i in call_ids.values()):
        assert time.monotonic() < deadline, "the async jobs did not end"
        time.sleep(0.1)
    assert keys_holding(functions, token) == []
    assert keys_holding(functions, cookie) == []


def test_a_queued_call_keeps_its_token_apart_and_no_longer_than_its_timeout(
        functions: Any, callback: CallbackServer) -> None:
    token = random.token_urlsafe(24)
    functions.stop_component("faas-async")
    try:
        response = requests.post(f"{functions.gateway_url}/async-function/hello", data=b"x", timeout=10,
                                 headers={"X-Callback-Url": callback.url, "Authorization": f"Bearer {token}"})
        assert response.status_code == 202, response.text
        assert job_status(functions, response.headers["X-Call-Id"]) == "queued"
        holders = keys_holding(functions, token)
        assert len(holders) == 1 and not holders[0].startswith("rq:")  # the job itself does not hold it
        ttl = max(db.ttl(holders[0]) for db in redis_databases(functions))
        assert 0 < ttl <= 60  # hello has no exec_timeout: the gateway's default of 60 s
    finally:
        functions.start_component("faas-async")
    echo = json.loads(callback.wait()[0]["body"])
    assert echo["headers"]["Authorization"] == f"Bearer {token}"
    assert keys_holding(functions, token) == []  # taken when the call started


def test_async_unknown_function_is_404(faas: Any) -> None:
    response = requests.post(f"{faas.gateway_url}/async-function/no-such-function", timeout=10)
    assert response.status_code == 404
    assert response.text.strip() == NOT_FOUND.format("no-such-function")


# ---- /system API -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/system/functions", "/system/function/hello", "/system/secrets", "/system/info", "/system/namespaces"]
)
def test_system_api_needs_basic_auth(faas: Any, path: str) -> None:
    for credentials in (None, ("admin", "wrong"), ("someone", faas.secret("basic-auth-password"))):
        response = requests.get(faas.gateway_url + path, auth=credentials, timeout=5)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == 'Basic realm="Restricted"'


def test_list_functions(functions: Any) -> None:
    call(functions, "hello")
    listed = {item["name"]: item for item in api(functions, "GET", "/system/functions").json()}
    assert set(STACK_FUNCTIONS) <= set(listed)
    hello = listed["hello"]
    assert hello["replicas"] == 2 and hello["availableReplicas"] == 2
    assert hello["namespace"] == "openfaas-fn"
    assert hello["labels"]["com.openfaas.scale.min"] == "2"
    assert hello["annotations"]["com.example.purpose"] == "echo"
    assert hello["invocationCount"] >= 1
    assert hello["image"] and hello["createdAt"]
    assert api(functions, "GET", "/system/namespaces").json() == ["openfaas-fn"]
    info = api(functions, "GET", "/system/info").json()
    assert info["version"]["release"] and info["provider"]["version"]["release"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not json", "invalid JSON"),
        (b"", "empty"),
        (b"[]", "JSON object"),
        (b'{"service": "probe"}', "image is required"),
        (b'{"service": "Bad_Name", "image": "x"}', "invalid function name"),
        (b'{"service": "probe", "image": "x", "envVars": {"A": 1}}', "envVars"),
        (b'{"service": "probe", "image": "x", "envVars": {"exec_timeout": "soon"}}', "exec_timeout"),
        (b'{"service": "probe", "image": "x", "labels": {"com.openfaas.scale.min": "many"}}', "scale.min"),
        (b'{"service": "probe", "image": "x", "namespace": "kube-system"}', "namespace"),
        (b'{"service": "probe", "image": "x", "secrets": ["no-such-secret"]}', "no-such-secret"),
        (b'{"service": "no-such-source", "image": "x"}', "no source"),
    ],
)
def test_bad_deploy_is_400_and_deploys_nothing(faas: Any, body: bytes, message: str) -> None:
    response = api(faas, "POST", "/system/functions", data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert message in response.text
    names = {item["name"] for item in api(faas, "GET", "/system/functions").json()}
    assert "probe" not in names and "no-such-source" not in names
    assert call(faas, "probe").status_code == 404


def test_update_of_missing_function_is_404(faas: Any) -> None:
    assert deploy(faas, "probe", method="PUT").status_code == 404


def test_deploy_update_scale_delete(faas: Any, probe: str) -> None:
    labels = {"com.openfaas.scale.min": "1", "com.openfaas.scale.max": "3"}
    assert deploy(faas, probe, envVars={"GREETING": "one"}, labels=labels).status_code == 202
    wait_ready(faas, probe, 1)
    assert call(faas, probe).json()["env"]["GREETING"] == "one"
    assert deploy(faas, probe, method="PUT", envVars={"GREETING": "two"}, labels=labels).status_code == 202
    wait_ready(faas, probe, 1)
    assert call(faas, probe).json()["env"]["GREETING"] == "two"

    scale = api(faas, "POST", f"/system/scale-function/{probe}", json={"serviceName": probe, "replicas": 3})
    assert scale.status_code == 202
    wait_ready(faas, probe, 3)
    ports: set[str] = set()
    deadline = time.monotonic() + 15
    while len(ports) < 3 and time.monotonic() < deadline:  # a replica may still be importing when RUNNING
        ports.add(call(faas, probe).json()["port"])
    assert len(ports) == 3
    api(faas, "POST", f"/system/scale-function/{probe}", json={"serviceName": probe, "replicas": 10})
    assert wait_ready(faas, probe, 3)["replicas"] == 3  # clamped to com.openfaas.scale.max

    api(faas, "POST", f"/system/scale-function/{probe}", json={"serviceName": probe, "replicas": 0})
    assert status(faas, probe)["replicas"] == 0
    woken = call(faas, probe)
    assert woken.status_code == 200, woken.text  # scaled from zero to scale.min on demand
    assert status(faas, probe)["replicas"] == 1

    bad = api(faas, "POST", f"/system/scale-function/{probe}", json={"serviceName": probe, "replicas": -1})
    assert bad.status_code == 400
    missing = api(faas, "POST", "/system/scale-function/no-such-fn", json={"serviceName": "x", "replicas": 1})
    assert missing.status_code == 404

    assert api(faas, "DELETE", "/system/functions", json={"functionName": probe}).status_code == 202
    assert call(faas, probe).status_code == 404
    assert api(faas, "GET", f"/system/function/{probe}").status_code == 404
    assert api(faas, "DELETE", "/system/functions", json={"functionName": probe}).status_code == 404


def test_scaling_and_redeploy_under_load_lose_no_calls(faas: Any, probe: str) -> None:
    labels = {"com.openfaas.scale.min": "1", "com.openfaas.scale.max": "3"}
    assert deploy(faas, probe, labels=labels).status_code == 202
    wait_ready(faas, probe, 1)
    stop = time.monotonic() + 60

    def traffic(worker: int) -> list[str]:
        failures = []
        session = requests.Session()
        done = 0
        while (not changes_done.is_set() and time.monotonic() < stop) or done < 20:
            response = session.get(f"{faas.gateway_url}/function/{probe}?marker=load{worker}", timeout=30)
            if response.status_code != 200:
                failures.append(f"{response.status_code} {response.text[:120]}")
            done += 1
        return failures

    changes_done = threading.Event()
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        workers = [pool.submit(traffic, i) for i in range(4)]
        time.sleep(0.5)
        scale = {"serviceName": probe, "replicas": 3}
        assert api(faas, "POST", f"/system/scale-function/{probe}", json=scale).status_code == 202
        time.sleep(0.5)
        assert deploy(faas, probe, method="PUT", labels=labels, envVars={"GREETING": "again"}).status_code == 202
        time.sleep(0.5)
        scale = {"serviceName": probe, "replicas": 1}
        assert api(faas, "POST", f"/system/scale-function/{probe}", json=scale).status_code == 202
        time.sleep(0.5)
        changes_done.set()
        failures = [failure for worker in workers for failure in worker.result()]
    assert failures == []
    assert call(faas, probe).json()["env"]["GREETING"] == "again"


def test_function_sees_only_its_secrets_and_the_shared_package(faas: Any, probe: str) -> None:
    name = f"test-secret-{random.token_hex(3)}"
    other = f"test-other-{random.token_hex(3)}"
    try:
        assert api(faas, "POST", "/system/secrets", json={"name": name, "value": "s3cret"}).status_code == 201
        assert api(faas, "POST", "/system/secrets", json={"name": other, "value": "x"}).status_code == 201
        assert deploy(faas, probe, secrets=[name]).status_code == 202
        wait_ready(faas, probe)
        seen = call(faas, probe).json()
        assert seen["secrets"] == {name: "s3cret"}
        assert seen["flmnchll_importable"] is True
        assert seen["env"]["FAAS_FUNCTION_NAME"] == probe
        in_use = api(faas, "DELETE", "/system/secrets", json={"name": name})
        assert in_use.status_code == 409
        # a rotated value is seen without redeploying
        assert api(faas, "PUT", "/system/secrets", json={"name": name, "value": "rotated"}).status_code == 202
        assert call(faas, probe).json()["secrets"] == {name: "rotated"}
    finally:
        api(faas, "DELETE", "/system/functions", json={"functionName": probe})
        api(faas, "DELETE", "/system/secrets", json={"name": name})
        api(faas, "DELETE", "/system/secrets", json={"name": other})


def test_secrets_api(faas: Any) -> None:
    name = f"test-api-{random.token_hex(3)}"
    try:
        created = api(faas, "POST", "/system/secrets", json={"name": name, "value": "v1"})
        assert created.status_code == 201
        assert api(faas, "POST", "/system/secrets", json={"name": name, "value": "v1"}).status_code == 409
        listed = api(faas, "GET", "/system/secrets").json()
        assert {"name": name, "namespace": "openfaas-fn"} in listed
        assert all(set(item) == {"name", "namespace"} for item in listed)
        assert "v1" not in json.dumps(listed)
        path = faas.secrets_dir / name
        assert path.read_text() == "v1"
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        raw = api(faas, "PUT", "/system/secrets", json={"name": name, "rawValue": "AAEC/w=="})
        assert raw.status_code == 202
        assert path.read_bytes() == b"\x00\x01\x02\xff"
        assert api(faas, "DELETE", "/system/secrets", json={"name": name}).status_code == 202
        assert not path.exists()
        assert api(faas, "DELETE", "/system/secrets", json={"name": name}).status_code == 404
        assert api(faas, "PUT", "/system/secrets", json={"name": name, "value": "x"}).status_code == 404
    finally:
        api(faas, "DELETE", "/system/secrets", json={"name": name})
    for bad in ("../etc/passwd", "UPPER", "", "a/b"):
        assert api(faas, "POST", "/system/secrets", json={"name": bad, "value": "x"}).status_code == 400
    assert api(faas, "DELETE", "/system/secrets", json={"name": "basic-auth-password"}).status_code == 400


def test_logs(faas: Any, probe: str) -> None:
    assert deploy(faas, probe).status_code == 202
    wait_ready(faas, probe)
    marker = random.token_hex(4)
    assert call(faas, f"{probe}?marker={marker}").status_code == 200
    response = api(faas, "GET", f"/system/logs?name={probe}&tail=20&follow=false")
    assert response.status_code == 200
    lines = [json.loads(line) for line in response.text.splitlines() if line.strip()]
    assert any(f"marker={marker}" in item["text"] for item in lines)
    assert all(item["name"] == probe and item["namespace"] == "openfaas-fn" and item["timestamp"] for item in lines)
    assert len(lines) <= 20
    assert api(faas, "GET", "/system/logs?name=no-such-fn").status_code == 404


def test_cron_connector_invokes_on_schedule(faas: Any, probe: str) -> None:
    annotations = {"topic": "cron-function", "schedule": "* * * * * */2"}
    assert deploy(faas, probe, annotations=annotations).status_code == 202
    wait_ready(faas, probe)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        logs = api(faas, "GET", f"/system/logs?name={probe}&tail=50").text
        if "marker=cron-connector method=POST" in logs:
            return
        time.sleep(0.5)
    raise AssertionError("the cron connector did not invoke the function within 20s")


def test_registry_survives_gateway_restart(functions: Any) -> None:
    before = {item["name"] for item in api(functions, "GET", "/system/functions").json()}
    functions.stop_component("gateway")
    functions.start_component("gateway")
    deadline = time.monotonic() + 20
    while True:
        try:
            if requests.get(f"{functions.gateway_url}/healthz", timeout=2).ok:
                break
        except requests.RequestException:
            pass
        assert time.monotonic() < deadline, "the gateway did not come back"
        time.sleep(0.1)
    after = {item["name"] for item in api(functions, "GET", "/system/functions").json()}
    assert after == before
    assert call(functions, "hello").status_code == 200


# ---- metrics ---------------------------------------------------------------------------------------------------


def test_metrics_use_openfaas_names(functions: Any) -> None:
    for _ in range(3):
        assert call(functions, "hello").status_code == 200
    text = requests.get(functions.metrics_url, timeout=5).text
    families = {family.name: family for family in text_string_to_metric_families(text)}
    invocations = families["gateway_function_invocation"]
    assert invocations.type == "counter"
    ok = [
        s for s in invocations.samples
        if s.name == "gateway_function_invocation_total"
        and s.labels == {"function_name": "hello.openfaas-fn", "code": "200"}
    ]
    assert ok and ok[0].value >= 3
    seconds = families["gateway_functions_seconds"]
    assert seconds.type == "histogram"
    assert any(s.name == "gateway_functions_seconds_count" and s.value >= 3 for s in seconds.samples)
    replicas = {s.labels["function_name"]: s.value for s in families["gateway_service_count"].samples}
    assert replicas["hello.openfaas-fn"] == 2
    started = {s.labels["function_name"]: s.value for s in families["gateway_function_invocation_started"].samples}
    assert started["hello.openfaas-fn"] >= 3
