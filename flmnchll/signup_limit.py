"""How many accounts one address may open: a moving window of signups per address, kept in Redis by `limits`.

A moving window rather than a fixed one: a fixed window lets twice the limit through around its boundary (the
end of one hour and the start of the next). The limit is read from the environment (`SIGNUPS_PER_ADDRESS_LIMIT`,
`..._WINDOW` in seconds) so an operator can tune it without a code change.

Guessing secrets (passwords, room PINs) is slowed by `flmnchll.ratelimit.GuessThrottle` instead: `limits`
counts events in windows, and a guess throttle must make each guesser wait longer with each of its own
failures, and longer still while its target is under pressure from elsewhere, which no window count expresses.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from functools import lru_cache

from limits import RateLimitItemPerSecond
from limits.storage import RedisStorage
from limits.strategies import MovingWindowRateLimiter

from flmnchll.errors import TooManyRequests
from flmnchll.ratelimit import UNKNOWN_ADDRESS, human_duration, key_part
from flmnchll.stores import redis_client

KEY_PREFIX = "rl:signup"


@dataclass(frozen=True)
class Limit:
    """At most `limit` events per `window` seconds."""

    limit: int
    window: int


def signup_address_limit() -> Limit:
    return Limit(limit=int(os.environ.get("SIGNUPS_PER_ADDRESS_LIMIT") or 20),
                 window=int(os.environ.get("SIGNUPS_PER_ADDRESS_WINDOW") or 3600))


@lru_cache(maxsize=1)
def _limiter() -> MovingWindowRateLimiter:
    """One limiter per process, on the application's own Redis connections (its password and timeouts)."""
    storage = RedisStorage("redis://", connection_pool=redis_client().connection_pool, key_prefix=KEY_PREFIX)
    return MovingWindowRateLimiter(storage)


def check_signup_allowed(address: str) -> None:
    """Count a signup from this address, or refuse it (429) while the window already holds the limit."""
    if address == UNKNOWN_ADDRESS:  # a caller inside the platform: no address to hold to a limit
        return
    limit = signup_address_limit()
    item = RateLimitItemPerSecond(limit.limit, limit.window)
    key = key_part(address)
    if _limiter().hit(item, key):
        return
    reset_at, _ = _limiter().get_window_stats(item, key)
    retry_after = max(1, math.ceil(reset_at - time.time()))
    raise TooManyRequests(
        f"Too many new accounts from your address. Please wait {human_duration(retry_after)} and try again.",
        retry_after=retry_after, code="too_many_signups")
