"""Asynchronous invocation: `/async-function/NAME` queued on RQ, run by the async worker, result sent back.

As in OpenFaaS's queue-worker, the caller gets 202 and an `X-Call-Id` at once; the worker later calls the
function (through the gateway, so timeouts, limits and metrics apply) and POSTs its answer to the request's
`X-Callback-Url` with `X-Call-Id`, `X-Function-Name`, `X-Function-Status` and `X-Duration-Seconds`.

Two guards OpenFaaS's queue-worker lacks:
- the callback URL must be on `ASYNC_CALLBACK_ALLOW` (faas/callback_allow.py); the gateway refuses others with
  400 before queueing, and the worker checks again before posting;
- the caller's credentials (`Authorization`, `Proxy-Authorization`, `Cookie`) never enter the job, which RQ keeps
  for minutes when it ends and for a day when it fails: they wait in a key of their own that expires after the
  call's timeout, and the worker takes them (and deletes the key) when the call starts. A call still queued by
  then runs without them, and its callback hears the function's answer to that.
"""

from __future__ import annotations

import json
import logging
import math
import secrets
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from redis import Redis
from rq import Queue
from tenacity import RetryCallState, retry, retry_if_exception_type, stop_after_attempt, wait_incrementing

from faas.secrets import read_secret
from faas.settings import Settings

log = logging.getLogger("faas.async")

QUEUE = "faas-async"
#: A callback is posted at most this many times, 1 s then 2 s apart, while its receiver cannot be reached.
CALLBACK_TRIES = 3


def redis_connection(settings: Settings) -> Redis:
    """Redis from FAAS_REDIS_URL, with the password file's password when the URL carries none."""
    parts = urlsplit(settings.redis_url)
    password = None
    if not parts.password and settings.redis_password_file is not None:
        path = Path(settings.redis_password_file)
        password = read_secret(path.parent, path.name) if path.exists() else None
    return Redis.from_url(urlunsplit(parts), password=password) if password else Redis.from_url(settings.redis_url)


def queue(settings: Settings) -> Queue:
    return Queue(QUEUE, connection=redis_connection(settings))


CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})
CREDENTIALS_KEY = "faas-async:credentials:"


def split_credentials(headers: list[tuple[str, str]]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(headers the job may keep, credentials that must not outlive the call)."""
    kept = [(k, v) for k, v in headers if k.lower() not in CREDENTIAL_HEADERS]
    credentials = [(k, v) for k, v in headers if k.lower() in CREDENTIAL_HEADERS]
    return kept, credentials


def enqueue(q: Queue, call: dict[str, Any], timeout: float, credentials: Sequence[tuple[str, str]] = ()) -> str:
    """Queue one call; its id is the X-Call-Id the caller got. Credentials are kept apart for `timeout` only."""
    if credentials:
        key = CREDENTIALS_KEY + secrets.token_hex(16)  # not the call id, which the caller may choose
        q.connection.set(key, json.dumps(credentials), ex=max(1, math.ceil(timeout)))
        call = {**call, "credentials_key": key}
    q.enqueue(
        "faas.async_calls.run_call",
        call,
        job_id=call["call_id"],
        job_timeout=int(timeout) + 60,
        result_ttl=300,
        failure_ttl=86400,
    )
    return call["call_id"]


def take_credentials(connection: Redis, call: dict[str, Any]) -> list[tuple[str, str]]:
    """The call's credentials, removed from Redis as they are read (none once expired)."""
    key = call.get("credentials_key")
    stored = connection.getdel(key) if key else None
    return [(k, v) for k, v in json.loads(stored)] if stored else []


def run_call(call: dict[str, Any]) -> dict[str, Any]:
    """The RQ job: invoke the function, then deliver its answer to the callback URL (if any)."""
    settings = Settings.from_env()
    name = call["name"]
    url = f"{settings.gateway_url}/function/{name}{call['path']}"
    if call.get("query"):
        url += "?" + call["query"]
    headers = dict(call["headers"])
    headers.update(take_credentials(redis_connection(settings), call))
    headers["X-Call-Id"] = call["call_id"]
    started = time.perf_counter()
    try:
        response = requests.request(
            call["method"], url, data=call["body"], headers=headers, timeout=call["timeout"] + 30,
            allow_redirects=False,
        )
        status, body, content_type = response.status_code, response.content, response.headers.get("Content-Type")
    except requests.RequestException as exc:
        status, body, content_type = 503, f"async call of {name} failed: {exc}".encode(), "text/plain"
    duration = time.perf_counter() - started
    log.info("async call %s of %s: %s in %.3fs", call["call_id"], name, status, duration)
    callback = call.get("callback_url")
    refusal = settings.callback_allow.refusal(callback)
    if refusal:
        log.warning("async call %s: result not sent: %s", call["call_id"], refusal)
    elif callback:
        out = {
            "X-Call-Id": call["call_id"],
            "X-Function-Name": name,
            "X-Function-Status": str(status),
            "X-Duration-Seconds": f"{duration:f}",
        }
        if content_type:
            out["Content-Type"] = content_type
        post_callback(callback, body, out)
    return {"status": status, "duration": duration}


def _log_callback_failure(state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome else None
    log.warning("callback %s failed (attempt %d): %s", state.args[0], state.attempt_number, error)


def _give_up(state: RetryCallState) -> None:
    """The result is dropped: the call itself is not repeated for a receiver that cannot be reached."""


@retry(stop=stop_after_attempt(CALLBACK_TRIES), wait=wait_incrementing(start=1, increment=1),
       retry=retry_if_exception_type(requests.RequestException), after=_log_callback_failure,
       retry_error_callback=_give_up)
def post_callback(url: str, body: bytes, headers: dict[str, str]) -> None:
    """POST the result, retrying a few times without calling the function again; any answer is final."""
    # no redirects: an allowed host must not be able to forward the result somewhere else
    response = requests.post(url, data=body, headers=headers, timeout=30, allow_redirects=False)
    log.info("callback %s answered %s", url, response.status_code)
