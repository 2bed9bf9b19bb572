"""Login throttling against the real Redis of the test instance, with an injected clock (no sleeping).

Each test enforces the threat model row "Login throttling": nobody can lock another person out, and guessing is
slowed per (account, address) pair, more so while the account is under attack from everywhere.
"""

from __future__ import annotations

import heapq
import secrets
import threading
from collections import Counter

import pytest

from flmnchll import ratelimit
from flmnchll.errors import TooManyRequests, Unauthorized
from flmnchll.stores import redis_client

pytestmark = pytest.mark.usefixtures("stores_ready")
T0 = 1_000_000.0  # the tests' own clock: far from real time, so no wall-clock wait is ever involved


def fail(name: str, address: str, now: float) -> None:
    """One wrong password, as the login function runs it."""
    with pytest.raises(Unauthorized), ratelimit.login_attempt(name, address, now=now):
        raise Unauthorized("wrong")


def succeed(name: str, address: str, now: float) -> None:
    with ratelimit.login_attempt(name, address, now=now):
        pass


def refused(name: str, address: str, now: float) -> TooManyRequests:
    with pytest.raises(TooManyRequests) as caught, ratelimit.login_attempt(name, address, now=now):
        raise AssertionError("the password must not even be checked while the pair waits")
    return caught.value


def other_address() -> str:
    return f"192.0.2.{secrets.randbelow(250) + 1}-{secrets.token_hex(3)}"


def test_a_guessing_pair_waits_longer_each_time_and_is_told_when_to_come_back(name: str, address: str) -> None:
    free = ratelimit.login_policy().free_failures
    for _ in range(free):
        fail(name, address, T0)
    now = T0
    for expected in (2, 4, 8, 16):
        early = refused(name, address, now)
        assert early.status == 429 and early.code == "too_many_login_attempts"
        assert early.headers["Retry-After"] == str(expected)
        assert f"Please wait {expected} seconds and try again." in early.message
        assert refused(name, address, now + expected - 0.5).retry_after == 1  # asking early changes nothing
        now += expected
        fail(name, address, now)  # on time: one more guess, and the next wait doubles


def test_failures_from_one_address_never_block_the_account_from_another(name: str, address: str) -> None:
    for _ in range(ratelimit.login_policy().free_failures):
        fail(name, address, T0)
    assert refused(name, address, T0).retry_after > 0
    for i in range(60):  # and the account is under attack from everywhere
        fail(name, f"{address}-{i}", T0 + 1)
    assert refused(name, address, T0 + 2).retry_after == 2 * 2 ** (2 + 6) - 2  # 63 failures: six doublings
    succeed(name.upper(), other_address(), T0 + 2)  # the owner elsewhere, with the right password: at once


def test_failures_against_one_account_never_block_another_account_from_that_address(
        name: str, address: str) -> None:
    for _ in range(ratelimit.login_policy().free_failures):
        fail(name, address, T0)
    for i in range(40):  # the address also sprays other names
        fail(f"{name}_{i}", address, T0)
    assert refused(name, address, T0 + 1).retry_after > 0
    succeed(f"{name}_other", address, T0 + 1)  # someone else at that address, with the right password


def test_pressure_on_the_account_lengthens_the_waits_of_pairs_that_fail(name: str) -> None:
    calm, attacked = f"{name}_calm", f"{name}_hit"
    here = other_address()
    for i in range(30):  # thirty addresses fail once each against `attacked`
        fail(attacked, f"{here}-{i}", T0)
    fail(calm, here, T0 + 1)
    succeed(calm, here, T0 + 1)  # without pressure a pair's first failures are free
    fail(attacked, here, T0 + 1)
    wait = refused(attacked, here, T0 + 1).retry_after
    assert wait == 2 * 2 ** 3  # one free failure, then the first wait doubled by each ten failures
    succeed(attacked, other_address(), T0 + 1)  # a clean pair still goes through at once


def test_a_botnet_gets_a_few_slow_guesses_per_address(name: str) -> None:
    """Two hundred addresses guess as fast as they are let, for an hour: each gets a handful of guesses."""
    addresses = [f"{other_address()}-{i}" for i in range(200)]
    guesses: Counter[str] = Counter()
    queue = [(T0 + i * 0.01, address) for i, address in enumerate(addresses)]
    while queue:
        now, address = heapq.heappop(queue)
        try:
            with ratelimit.login_attempt(name, address, now=now):
                raise Unauthorized("wrong")
        except Unauthorized:
            guesses[address] += 1
            retry = now + 0.01
        except TooManyRequests as refusal:  # come back exactly when told
            retry = now + refusal.retry_after
        if retry < T0 + 3600:
            heapq.heappush(queue, (retry, address))
    assert sum(guesses.values()) <= 6 * len(addresses)
    assert max(guesses.values()) <= 8
    assert sorted(guesses.values())[len(addresses) // 2] <= 5
    succeed(name, other_address(), T0 + 3600)  # and the owner logs in from home at once


def test_parallel_guesses_of_one_pair_get_no_more_than_the_free_tries(name: str, address: str) -> None:
    outcomes: list[str] = []
    start = threading.Barrier(12)

    def guess() -> None:
        start.wait()
        try:
            ratelimit.begin_login(name, address, now=T0)
            outcomes.append("tried")
        except TooManyRequests:
            outcomes.append("refused")

    threads = [threading.Thread(target=guess) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("tried") == ratelimit.login_policy().free_failures
    assert outcomes.count("refused") == 12 - ratelimit.login_policy().free_failures


def test_success_clears_the_pair_and_an_outage_is_not_a_failure(name: str, address: str) -> None:
    free = ratelimit.login_policy().free_failures
    for _ in range(free - 1):
        fail(name, address, T0)
    succeed(name, address, T0)
    for _ in range(free + 2):
        with pytest.raises(RuntimeError), ratelimit.login_attempt(name, address, now=T0):
            raise RuntimeError("database went away")
    for _ in range(free):  # a fresh start: all the free tries again
        fail(name, address, T0)
    assert refused(name, address, T0).retry_after == 2


def test_callers_without_an_address_are_not_one_shared_address(name: str, address: str) -> None:
    """Scripts on the gateway itself have no X-Real-IP: they are not pooled into one address under pressure."""
    for i in range(40):
        fail(f"{name}_{i}", ratelimit.UNKNOWN_ADDRESS, T0)
        fail(f"{name}_{i}", address, T0)
    fail(name, ratelimit.UNKNOWN_ADDRESS, T0)
    fail(name, ratelimit.UNKNOWN_ADDRESS, T0)  # still among the free failures
    fail(name, address, T0)
    assert refused(name, address, T0).retry_after > 0  # a real address under pressure: one free failure


def test_odd_names_make_safe_keys(name: str) -> None:
    """A safe key is short printable ASCII without spaces, whatever a client sends (NUL, lone surrogates, "|"),
    is shared by names that differ only in case (as accounts are), and is never shared by two different pairs."""
    odd_name, odd_address = f"\ud800 Weird {name} \x00", f"::ffff:10.0.0.1 \udcff {name}"
    attempt = ratelimit.begin_login(odd_name, odd_address, now=T0)
    assert redis_client().exists(*attempt.keys) == len(attempt.keys)  # counted under exactly these keys
    for key in attempt.keys:
        assert key.isascii() and key.isprintable() and " " not in key and len(key) <= 160, key
    assert attempt.keys[0].count("|") == 1  # the pair's one separator: no part carries its own
    for _ in range(ratelimit.login_policy().free_failures - 1):
        fail(odd_name.upper(), odd_address.upper(), T0)
    assert refused(odd_name.swapcase(), odd_address, T0).retry_after > 0

    # "|" inside a part cannot make two pairs collide: ("x|y", "z") and ("x", "y|z") fail independently
    for _ in range(ratelimit.login_policy().free_failures):
        fail(f"{name}|y", f"z{name}", T0)
    succeed(name, f"y|z{name}", T0)
