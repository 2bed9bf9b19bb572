"""Rate limits kept in Redis, shared by every function process.

Two kinds of counter:
- a fixed window (`INCR` + expiry, in one Lua call so the expiry is never lost): cheap, good for "N signups per
  address per hour";
- a sliding log (a sorted set of timestamps): exact, so a login lock-out lasts precisely until the oldest failure
  leaves the window, and `Retry-After` can say when.

Counters live in Redis rather than the database because FerretDB's `$inc` is not atomic under concurrency.
Limits are read from the environment so an operator can tune them without a code change.

Per-address limits apply only when the address is known: the front door always sets X-Real-IP, so an unknown
address means a caller inside the platform (a script or test talking to the gateway directly). Lumping all of
those into one bucket would let any one of them lock out the rest; the per-account limits still apply to them.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import re
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass

from flmnchll.errors import TooManyRequests, Unauthorized
from flmnchll.stores import REDIS_ERRORS, redis_client

_FIXED_WINDOW = """
local count = redis.call('INCR', KEYS[1])
if count == 1 or redis.call('PTTL', KEYS[1]) < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return {count, redis.call('PTTL', KEYS[1])}
"""


@dataclass(frozen=True)
class Limit:
    """At most `limit` events per `window` seconds."""

    limit: int
    window: int

    @classmethod
    def from_env(cls, prefix: str, limit: int, window: int) -> Limit:
        return cls(limit=int(os.environ.get(f"{prefix}_LIMIT") or limit),
                   window=int(os.environ.get(f"{prefix}_WINDOW") or window))


def login_account_limit() -> Limit:
    return Limit.from_env("LOGIN_FAILURES_PER_ACCOUNT", 5, 900)


def login_address_limit() -> Limit:
    return Limit.from_env("LOGIN_FAILURES_PER_ADDRESS", 30, 900)


def signup_address_limit() -> Limit:
    return Limit.from_env("SIGNUPS_PER_ADDRESS", 20, 3600)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    count: int
    retry_after: int  # seconds until another event would be allowed (0 when allowed)


# --- fixed window ------------------------------------------------------------------------------------------------

def fixed_window_hit(key: str, limit: Limit) -> Decision:
    """Count one event; refused once the window holds more than `limit.limit`."""
    count, pttl = redis_client().eval(_FIXED_WINDOW, 1, key, limit.window * 1000)
    count, pttl = int(count), int(pttl)
    if count <= limit.limit:
        return Decision(True, count, 0)
    return Decision(False, count, max(1, math.ceil(pttl / 1000)))


# --- sliding log -------------------------------------------------------------------------------------------------

# Check every log against its limit and, only when all allow it, record the event in all of them; one script, so
# concurrent attempts cannot all slip through between a check and a write.
_SLIDING_RESERVE = """
local now = tonumber(ARGV[1])
local member = ARGV[2]
for i, key in ipairs(KEYS) do
  local limit = tonumber(ARGV[1 + 2 * i])
  local window = tonumber(ARGV[2 + 2 * i])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  local count = redis.call('ZCARD', key)
  if count >= limit then
    local entry = redis.call('ZRANGE', key, count - limit, count - limit, 'WITHSCORES')
    return {i, count, entry[2] or tostring(now)}
  end
end
for i, key in ipairs(KEYS) do
  local window = tonumber(ARGV[2 + 2 * i])
  redis.call('ZADD', key, now, member)
  redis.call('EXPIRE', key, math.ceil(window) + 1)
end
return {0, 0, '0'}
"""


def sliding_reserve(logs: list[tuple[str, Limit]], now: float | None = None) -> tuple[int, Decision, str]:
    """Record one event in every log unless one is full.

    Returns (index of the full log, 1-based, or 0 when recorded; the decision; the event's member name, which
    `sliding_forget` takes to un-count it).
    """
    now = time.time() if now is None else now
    member = f"{now:.6f}:{secrets.token_hex(6)}"
    args: list[str | float | int] = [now, member]
    for _, limit in logs:
        args += [limit.limit, limit.window]
    which, count, oldest = redis_client().eval(_SLIDING_RESERVE, len(logs), *[k for k, _ in logs], *args)
    if int(which) == 0:
        return 0, Decision(True, 0, 0), member
    window = logs[int(which) - 1][1].window
    return int(which), Decision(False, int(count), max(1, math.ceil(float(oldest) + window - now))), member


def sliding_forget(key: str, member: str) -> None:
    redis_client().zrem(key, member)


# --- the limits accounts use -------------------------------------------------------------------------------------

UNKNOWN_ADDRESS = "unknown"  # what flmnchll.web.Request.client_ip says without a proxy's header
_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


def _key_part(value: str) -> str:
    """A name safe to put in a Redis key: itself when plain, else a digest (any string may arrive here)."""
    if _PLAIN_KEY.match(value):
        return value.lower()
    return "h-" + hashlib.sha256(value.lower().encode("utf-8", "surrogatepass")).hexdigest()


def _account_key(username: str) -> str:
    return f"rl:login:user:{_key_part(username)}"


def _address_key(address: str) -> str:
    return f"rl:login:addr:{_key_part(address)}"


@dataclass(frozen=True)
class Attempt:
    """A login attempt that has been counted; a success takes it back."""

    username: str
    address: str
    member: str

    def withdraw(self) -> None:
        """Un-count the attempt: it was cut short by an outage, not decided by a password."""
        pipe = redis_client().pipeline()
        pipe.zrem(_account_key(self.username), self.member)
        pipe.zrem(_address_key(self.address), self.member)
        pipe.execute()

    def succeeded(self) -> None:
        """A good password wipes the account's failures; the address keeps its others (it may be guessing names)."""
        pipe = redis_client().pipeline()
        pipe.delete(_account_key(self.username))
        pipe.zrem(_address_key(self.address), self.member)
        pipe.execute()


def begin_login(username: str, address: str) -> Attempt:
    """Count a login attempt against the account and the address, or refuse it (429) while either is locked.

    The attempt counts as a failure until `Attempt.succeeded()` is called, so a crash mid-check cannot give a
    guesser a free try, and a burst of parallel guesses gets no more than the limit.
    """
    logs = [(_account_key(username), login_account_limit())]
    if address != UNKNOWN_ADDRESS:
        logs.append((_address_key(address), login_address_limit()))
    which, decision, member = sliding_reserve(logs)
    if which:
        what = "this account" if which == 1 else "your address"
        raise TooManyRequests(
            f"Too many failed logins for {what}. Please wait {_human(decision.retry_after)} and try again.",
            retry_after=decision.retry_after, code="too_many_login_attempts")
    return Attempt(username=username, address=address, member=member)


@contextlib.contextmanager
def login_attempt(username: str, address: str) -> Iterator[Attempt]:
    """Guard a password check: a 401 inside stays counted, success clears, anything else is withdrawn."""
    attempt = begin_login(username, address)
    try:
        yield attempt
    except Unauthorized:
        raise
    except BaseException:
        with contextlib.suppress(*REDIS_ERRORS):
            attempt.withdraw()
        raise
    attempt.succeeded()


def password_check_attempt(user_id: str, address: str) -> contextlib.AbstractContextManager[Attempt]:
    """The same guard for re-entering one's current password (a stolen session must not brute-force it)."""
    return login_attempt(f"id:{user_id}", address)


def check_signup_allowed(address: str) -> None:
    """Count a signup from this address, or refuse it (429) past the hourly limit."""
    if address == UNKNOWN_ADDRESS:
        return
    limit = signup_address_limit()
    decision = fixed_window_hit(f"rl:signup:addr:{_key_part(address)}", limit)
    if not decision.allowed:
        raise TooManyRequests(
            f"Too many new accounts from your address. Please wait {_human(decision.retry_after)} and try again.",
            retry_after=decision.retry_after, code="too_many_signups")


def _human(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minutes"
