"""Guess throttling kept in Redis, shared by every function process: `GuessThrottle`, for secrets a person
types (a password, a room PIN). It slows each guesser with growing waits but never locks anyone out: a
guesser's failures make only that guesser wait, and the pressure on a target (all failures against an account or
a room, from everywhere) lengthens only the waits of guessers who have failed themselves. docs/accounts.md
explains the design and its numbers. (Counting signups per address is a plain moving window:
`flmnchll.signup_limit`.)

Counters live in Redis rather than the database because FerretDB's `$inc` is not atomic under concurrency.
Policies are read from the environment so an operator can tune them without a code change.

Per-address pressure applies only when the address is known: the front door always sets X-Real-IP, so an unknown
address means a caller inside the platform (a script or test talking to the gateway directly). Lumping all of
those into one bucket would let any one of them slow the rest.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import re
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from flmnchll.errors import TooManyRequests, Unauthorized
from flmnchll.stores import REDIS_ERRORS, redis_client

# --- guess throttle: the policy (pure) ---------------------------------------------------------------------------

@dataclass(frozen=True)
class GuessPolicy:
    """How long a guesser waits, from its own failures and the pressure on the target and on its address."""

    free_failures: int  # failures of one (target, guesser) pair before any wait
    free_failures_under_pressure: int  # the same while the target or the address is under pressure (at least 1)
    first_delay: float  # the first wait after the free failures; each further failure doubles it
    max_delay: float  # no single wait is longer
    memory: int  # a pair's failures are forgotten this many seconds after its last one
    pressure_window: int  # failures against a target (or from an address) count as pressure this long
    target_pressure_step: int  # every this many failures against the target double the waits of failing pairs
    address_pressure_step: int  # the same for failures from one address across targets

    @classmethod
    def from_env(cls, prefix: str, target: str, defaults: GuessPolicy) -> GuessPolicy:
        """`{prefix}_FREE_FAILURES`, ..., `{prefix}_{target}_PRESSURE_STEP` override the defaults."""
        def number(name: str, default: float) -> float:
            return float(os.environ.get(f"{prefix}_{name}") or default)

        return cls(
            free_failures=int(number("FREE_FAILURES", defaults.free_failures)),
            free_failures_under_pressure=max(1, int(number("FREE_FAILURES_UNDER_PRESSURE",
                                                           defaults.free_failures_under_pressure))),
            first_delay=number("FIRST_DELAY_SECONDS", defaults.first_delay),
            max_delay=number("MAX_DELAY_SECONDS", defaults.max_delay),
            memory=int(number("MEMORY_SECONDS", defaults.memory)),
            pressure_window=int(number("PRESSURE_WINDOW_SECONDS", defaults.pressure_window)),
            target_pressure_step=max(1, int(number(f"{target.upper()}_PRESSURE_STEP",
                                                   defaults.target_pressure_step))),
            address_pressure_step=max(1, int(number("ADDRESS_PRESSURE_STEP", defaults.address_pressure_step))),
        )

    def pressure_level(self, history: GuessHistory) -> int:
        return (history.target_failures // self.target_pressure_step
                + history.address_failures // self.address_pressure_step)

    def wait(self, history: GuessHistory, now: float) -> float:
        """Seconds the pair must still wait before its next try; 0 means it may try now.

        A pair with fewer failures than the free ones never waits, whatever the pressure: the first try of a
        person who has not been failing always goes through.
        """
        level = self.pressure_level(history)
        free = self.free_failures_under_pressure if level else self.free_failures
        beyond = history.failures - free
        if beyond < 0:
            return 0.0
        delay = min(self.max_delay, self.first_delay * 2.0 ** min(beyond + level, 64))
        return max(0.0, history.last_failure_at + delay - now)


@dataclass(frozen=True)
class GuessHistory:
    """What Redis held when an attempt arrived."""

    failures: int  # of this (target, guesser) pair, still remembered
    last_failure_at: float  # when the pair last failed (0 if never)
    target_failures: int  # against the target from everywhere, within the pressure window
    address_failures: int  # from the guesser's address against any target, within the pressure window


# --- guess throttle: the store -----------------------------------------------------------------------------------

# Count the attempt as a failure at once (a crash mid-check must not give a free try, and parallel guesses each
# see the ones before them) and return what was there before, from which the policy decides. KEYS: the pair's
# hash, then the pressure logs (sorted sets of attempt times). ARGV: now, attempt id, pair memory, pressure
# window, log cap (pressure past it changes nothing, and the cap bounds a log's size under a flood).
_RESERVE = """
local pair = redis.call('HMGET', KEYS[1], 'n', 't')
redis.call('HINCRBY', KEYS[1], 'n', 1)
redis.call('HSET', KEYS[1], 't', ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[3])
local out = {pair[1] or '0', pair[2] or '0'}
local now, window = tonumber(ARGV[1]), tonumber(ARGV[4])
for i = 2, #KEYS do
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window)
  out[#out + 1] = redis.call('ZCARD', KEYS[i])
  redis.call('ZADD', KEYS[i], now, ARGV[2])
  redis.call('ZREMRANGEBYRANK', KEYS[i], 0, -tonumber(ARGV[5]) - 1)
  redis.call('EXPIRE', KEYS[i], window + 1)
end
return out
"""

# Un-count an attempt (refused, or cut short by an outage). ARGV: attempt id, its time, the pair's time before it.
_WITHDRAW = """
local n = redis.call('HINCRBY', KEYS[1], 'n', -1)
if n <= 0 then
  redis.call('DEL', KEYS[1])
elseif redis.call('HGET', KEYS[1], 't') == ARGV[2] then
  redis.call('HSET', KEYS[1], 't', ARGV[3])
end
for i = 2, #KEYS do
  redis.call('ZREM', KEYS[i], ARGV[1])
end
return n
"""

PRESSURE_LOG_CAP = 1000
UNKNOWN_ADDRESS = "unknown"  # what flmnchll.web.Request.client_ip says without a proxy's header
_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


def key_part(value: str) -> str:
    """A name safe to put in a Redis key: itself when plain, else a digest (any string may arrive here)."""
    if _PLAIN_KEY.match(value):
        return value.lower()
    return "h-" + hashlib.sha256(value.lower().encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class Attempt:
    """An attempt counted as a failure until it is known to have succeeded (or withdrawn)."""

    keys: tuple[str, ...]  # the pair's hash, then the pressure logs
    member: str
    stamp: str
    previous_stamp: str

    def withdraw(self) -> None:
        """Un-count the attempt: it was refused, or cut short by an outage, not decided by the secret."""
        redis_client().eval(_WITHDRAW, len(self.keys), *self.keys, self.member, self.stamp, self.previous_stamp)

    def succeeded(self) -> None:
        """The right secret: the pair starts afresh and the attempt leaves the pressure logs."""
        pipe = redis_client().pipeline(transaction=False)
        pipe.delete(self.keys[0])
        for log in self.keys[1:]:
            pipe.zrem(log, self.member)
        pipe.execute()


@dataclass(frozen=True)
class GuessThrottle:
    """Slows the guessing of one kind of secret by pairs (target, guesser): never a lock-out of anyone."""

    kind: str  # Redis key space: rl:KIND:...
    target: str  # what is guessed at ("account", "room"): key space and environment names
    policy: Callable[[], GuessPolicy]
    refusal: str  # the 429 message before "Please wait ..."
    code: str
    failure: type[Exception]  # the exception that means "wrong secret": the attempt stays counted

    def _keys(self, target: str, guesser: str, address: str) -> tuple[str, ...]:
        # "|" never occurs in a key part, so no two pairs share a key
        keys = [f"rl:{self.kind}:pair:{key_part(target)}|{key_part(guesser)}",
                f"rl:{self.kind}:{self.target}:{key_part(target)}"]
        if address != UNKNOWN_ADDRESS:
            keys.append(f"rl:{self.kind}:addr:{key_part(address)}")
        return tuple(keys)

    def begin(self, target: str, guesser: str, address: str, now: float | None = None) -> Attempt:
        """Count an attempt, or refuse it (429 saying how long to wait) while the pair must wait."""
        policy = self.policy()
        now = time.time() if now is None else now
        stamp = f"{now:.6f}"
        keys = self._keys(target, guesser, address)
        member = f"{stamp}:{secrets.token_hex(6)}"
        failures, last, *pressure = redis_client().eval(
            _RESERVE, len(keys), *keys, stamp, member, policy.memory, policy.pressure_window, PRESSURE_LOG_CAP)
        previous = last.decode() if isinstance(last, bytes) else str(last)
        attempt = Attempt(keys=keys, member=member, stamp=stamp, previous_stamp=previous)
        history = GuessHistory(failures=int(failures), last_failure_at=float(previous),
                               target_failures=int(pressure[0]), address_failures=int(sum(pressure[1:])))
        wait = policy.wait(history, now)
        if wait > 0:
            attempt.withdraw()
            seconds = math.ceil(wait)
            raise TooManyRequests(f"{self.refusal} Please wait {human_duration(seconds)} and try again.",
                                  retry_after=seconds, code=self.code)
        return attempt

    @contextlib.contextmanager
    def attempt(self, target: str, guesser: str, address: str, now: float | None = None) -> Iterator[Attempt]:
        """Guard a check of the secret: `failure` inside stays counted, success clears, anything else is withdrawn."""
        attempt = self.begin(target, guesser, address, now)
        try:
            yield attempt
        except self.failure:
            raise
        except BaseException:
            with contextlib.suppress(*REDIS_ERRORS):
                attempt.withdraw()
            raise
        attempt.succeeded()


# --- the limits accounts use -------------------------------------------------------------------------------------

LOGIN_DEFAULTS = GuessPolicy(free_failures=3, free_failures_under_pressure=1, first_delay=2.0, max_delay=900.0,
                             memory=86400, pressure_window=900, target_pressure_step=10, address_pressure_step=30)


def login_policy() -> GuessPolicy:
    return GuessPolicy.from_env("LOGIN", "account", LOGIN_DEFAULTS)


LOGINS = GuessThrottle(kind="login", target="account", policy=login_policy,
                       refusal="Too many failed logins to this account from your address.",
                       code="too_many_login_attempts", failure=Unauthorized)


def begin_login(username: str, address: str, now: float | None = None) -> Attempt:
    """Count a login attempt of the pair (account, address), or refuse it (429) while the pair must wait."""
    return LOGINS.begin(username, address, address, now)


def login_attempt(username: str, address: str, now: float | None = None
                  ) -> contextlib.AbstractContextManager[Attempt]:
    """Guard a password check: a 401 inside stays counted, success clears the pair, anything else is withdrawn."""
    return LOGINS.attempt(username, address, address, now)


def password_check_attempt(user_id: str, address: str) -> contextlib.AbstractContextManager[Attempt]:
    """The same guard for re-entering one's current password (a stolen session must not brute-force it)."""
    return login_attempt(f"id:{user_id}", address)


def human_duration(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minutes"
