"""Room PINs: bcrypt hashes at rest, and brute-force limits kept in Redis.

A 4-digit PIN falls to a few thousand guesses, so failures are counted per client (user and address) and per
room in fixed windows; once a counter reaches its limit the caller gets 429 with `Retry-After` until the window
ends. Counters live in Redis because FerretDB has no atomic increment.
"""

from __future__ import annotations

import os
import re

import bcrypt

from flmnchll.config import settings
from flmnchll.errors import BadRequest, Forbidden, TooManyRequests
from flmnchll.stores import redis_client

PIN_RE = re.compile(r"^[0-9]{4,12}$")


def client_limit() -> int:
    return int(os.environ.get("ROOM_PIN_CLIENT_LIMIT", 5))


def room_limit() -> int:
    return int(os.environ.get("ROOM_PIN_ROOM_LIMIT", 30))


def window_seconds() -> int:
    return int(os.environ.get("ROOM_PIN_WINDOW_SECONDS", 900))


def check_format(pin: str) -> str:
    if not isinstance(pin, str) or not PIN_RE.match(pin):
        raise BadRequest("The PIN must be 4 to 12 digits.", code="invalid_pin")
    return pin


def hash_pin(pin: str) -> str:
    check_format(pin)
    return bcrypt.hashpw(pin.encode(), bcrypt.gensalt(rounds=settings().bcrypt_rounds)).decode()


def _counter_keys(room_id: str, user_id: str, client_ip: str) -> list[tuple[str, int]]:
    return [
        (f"pin-fail:{room_id}:user:{user_id}", client_limit()),
        (f"pin-fail:{room_id}:ip:{client_ip}", client_limit()),
        (f"pin-fail:{room_id}:room", room_limit()),
    ]


def _refuse_if_blocked(keys: list[tuple[str, int]]) -> None:
    client = redis_client()
    pipe = client.pipeline(transaction=False)
    for key, _ in keys:
        pipe.get(key)
        pipe.ttl(key)
    answers = pipe.execute()
    for index, (_, limit) in enumerate(keys):
        count, ttl = answers[2 * index], answers[2 * index + 1]
        if count is not None and int(count) >= limit:
            raise TooManyRequests("Too many wrong PINs for this room. Please wait before trying again.",
                                  retry_after=ttl if ttl and ttl > 0 else window_seconds(), code="too_many_pin_tries")


def _count_failure(keys: list[tuple[str, int]]) -> None:
    pipe = redis_client().pipeline(transaction=False)
    for key, _ in keys:
        pipe.incr(key)
        pipe.expire(key, window_seconds(), nx=True)
    pipe.execute()


def check_pin(pin_hash: str, given: str | None, *, room_id: str, user_id: str, client_ip: str) -> None:
    """Pass silently for the right PIN; 403 for a wrong or missing one; 429 once a limit is reached."""
    keys = _counter_keys(room_id, user_id, client_ip)
    _refuse_if_blocked(keys)
    if not given:
        raise Forbidden("This room needs a PIN.", code="pin_required")
    ok = bool(PIN_RE.match(given)) and bcrypt.checkpw(given.encode(), pin_hash.encode())
    if not ok:
        _count_failure(keys)
        raise Forbidden("Wrong PIN for this room.", code="wrong_pin")
    redis_client().delete(keys[0][0])
