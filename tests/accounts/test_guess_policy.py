"""The guess throttle's policy as pure logic with an injected clock: who waits, how long, and why."""

from __future__ import annotations

import pytest

from flmnchll.ratelimit import LOGIN_DEFAULTS, GuessHistory, GuessPolicy

NOW = 1_000_000.0
POLICY = LOGIN_DEFAULTS


def history(failures: int = 0, last: float = NOW, account: int = 0, address: int = 0) -> GuessHistory:
    return GuessHistory(failures=failures, last_failure_at=last, target_failures=account, address_failures=address)


@pytest.mark.parametrize("account", [0, 9, 10, 500, 10**6])
@pytest.mark.parametrize("address", [0, 30, 10**6])
def test_a_pair_that_never_failed_never_waits_whatever_the_pressure(account: int, address: int) -> None:
    """Threat model row "Login throttling": nobody else's failures delay a person's first try."""
    assert POLICY.wait(history(0, account=account, address=address), NOW) == 0


def test_the_first_failures_are_free_then_waits_double_up_to_the_cap() -> None:
    waits = [POLICY.wait(history(n), NOW) for n in range(16)]
    free = POLICY.free_failures
    assert waits[:free] == [0.0] * free
    assert waits[free:free + 5] == [2.0, 4.0, 8.0, 16.0, 32.0]
    assert waits[-1] == POLICY.max_delay == 900.0
    assert all(a <= b for a, b in zip(waits, waits[1:], strict=False))


def test_a_wait_runs_from_the_pairs_last_failure() -> None:
    five = history(POLICY.free_failures + 2, last=NOW)  # the third wait: 8 s
    assert POLICY.wait(five, NOW) == 8.0
    assert POLICY.wait(five, NOW + 5) == 3.0
    assert POLICY.wait(five, NOW + 8) == 0.0
    assert POLICY.wait(history(40, last=NOW - 901), NOW) == 0.0  # even the longest wait ends


def test_failures_against_the_account_from_everywhere_lengthen_the_waits_of_failing_pairs() -> None:
    once = history(1)
    assert POLICY.wait(once, NOW) == 0.0  # one failure is free without pressure
    assert POLICY.wait(history(1, account=10), NOW) == 4.0  # under pressure: one free failure, doubled wait
    assert POLICY.wait(history(1, account=50), NOW) == 64.0
    assert POLICY.wait(history(1, account=500), NOW) == 900.0
    assert POLICY.wait(history(3, account=20), NOW) > POLICY.wait(history(3), NOW)


def test_failures_from_the_address_across_accounts_lengthen_its_failing_pairs_waits() -> None:
    assert POLICY.wait(history(1, address=29), NOW) == 0.0
    assert POLICY.wait(history(1, address=30), NOW) == 4.0
    assert POLICY.wait(history(2, account=10, address=30), NOW) == 16.0  # both pressures add up


def test_an_operator_tunes_it_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOGIN_FREE_FAILURES", "5")
    monkeypatch.setenv("LOGIN_FREE_FAILURES_UNDER_PRESSURE", "0")  # never below one: a first try stays free
    monkeypatch.setenv("LOGIN_ACCOUNT_PRESSURE_STEP", "4")
    monkeypatch.setenv("LOGIN_MAX_DELAY_SECONDS", "60")
    policy = GuessPolicy.from_env("LOGIN", "account", LOGIN_DEFAULTS)
    assert (policy.free_failures, policy.free_failures_under_pressure) == (5, 1)
    assert policy.target_pressure_step == 4 and policy.max_delay == 60.0
    assert policy.wait(history(4), NOW) == 0.0
    assert policy.wait(history(0, account=10**6), NOW) == 0.0
    assert policy.wait(history(1, account=4), NOW) == 4.0
    assert policy.wait(history(50), NOW) == 60.0
