"""The account rules in the library, against real FerretDB and Redis."""

from __future__ import annotations

import secrets
import subprocess
import sys
import threading
import time
from typing import Any

import limits.storage.redis
import pytest

from flmnchll import accounts, auth, ratelimit, signup_limit, stores
from flmnchll.errors import BadRequest, Conflict, NotFound, TooManyRequests, Unauthorized
from flmnchll.stores import db, redis_client

pytestmark = pytest.mark.usefixtures("stores_ready")
PASSWORD = "correct horse battery"


@pytest.mark.parametrize("bad", ["ab", "a" * 33, "has space", "émile", "semi;colon", "", None, 42])
def test_username_rules(bad: object) -> None:
    with pytest.raises(BadRequest) as caught:
        accounts.check_username(bad)
    assert "3 to 32" in caught.value.message


@pytest.mark.parametrize("good", ["abc", "A.b-c_d", "x" * 32, "007"])
def test_usernames_accepted(good: str) -> None:
    assert accounts.check_username(good) == good


@pytest.mark.parametrize("bad", ["short", "x" * 129, "", None])
def test_password_rules(bad: object) -> None:
    with pytest.raises(BadRequest):
        accounts.check_password(bad)


def test_every_character_of_a_long_password_counts() -> None:
    """bcrypt alone ignores bytes past 72; 128 multi-byte characters must still all matter."""
    base = "é" * 127
    hashed = accounts.hash_password(base + "a", rounds=4)
    assert accounts.password_matches(base + "a", hashed)
    assert not accounts.password_matches(base + "b", hashed)
    assert not accounts.password_matches("anything", "not-a-bcrypt-hash")


def test_create_and_login(name: str) -> None:
    user = accounts.create_user(name, PASSWORD)
    assert user.role == "viewer"
    doc = db().users.find_one({"_id": user.id})
    assert doc["username_lower"] == name.lower() and doc["password_hash"].startswith("$2")
    assert PASSWORD not in str(doc)
    assert accounts.sign_in(name.upper(), PASSWORD)[0].id == user.id
    with pytest.raises(Unauthorized) as wrong:
        accounts.sign_in(name, PASSWORD + "!")
    with pytest.raises(Unauthorized) as unknown:
        accounts.sign_in(name + "x", PASSWORD)
    assert wrong.value.message == unknown.value.message  # no hint which part was wrong


def test_names_are_unique_ignoring_case(name: str) -> None:
    accounts.create_user(name, PASSWORD)
    with pytest.raises(Conflict) as caught:
        accounts.create_user(name.upper(), PASSWORD)
    assert caught.value.code == "username_taken" and "taken" in caught.value.message


def test_concurrent_signups_of_one_name_end_in_one_account(name: str) -> None:
    """The unique index decides the race on FerretDB, not a read-then-write check."""
    results: list[str] = []
    barrier = threading.Barrier(6)

    def attempt(spelling: str) -> None:
        barrier.wait()
        try:
            accounts.create_user(spelling, PASSWORD)
            results.append("created")
        except Conflict:
            results.append("conflict")

    spellings = [name, name.upper(), name, name.title(), name, name.upper()]
    threads = [threading.Thread(target=attempt, args=(s,)) for s in spellings]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["conflict"] * 5 + ["created"]
    assert db().users.count_documents({"username_lower": name.lower()}) == 1


def test_password_change_ends_other_sessions(name: str) -> None:
    user = accounts.create_user(name, PASSWORD)
    mine, other = auth.issue_session(user.principal()), auth.issue_session(user.principal())
    with pytest.raises(Unauthorized):
        accounts.change_password(user.id, "wrong password", "new password 1", keep_token=mine)
    ended = accounts.change_password(user.id, PASSWORD, "new password 1", keep_token=mine)
    assert ended == 1
    assert auth.principal_for(mine) is not None and auth.principal_for(other) is None
    assert accounts.sign_in(name, "new password 1")[0].id == user.id
    with pytest.raises(Unauthorized):
        accounts.sign_in(name, PASSWORD)


def test_role_changes_reach_live_sessions(name: str) -> None:
    accounts.ensure_admin("an admin password")  # so demoting this one is not demoting the last admin
    accounts.create_user(name, PASSWORD)
    user = accounts.get_by_username(name)
    token = auth.issue_session(user.principal())
    accounts.set_role(name, "admin")
    assert auth.principal_for(token).role == "admin"
    accounts.set_role(name, "viewer")
    assert auth.principal_for(token).role == "viewer"
    assert redis_client().ttl(auth._session_key(token)) > 0  # the refresh kept the expiry


@pytest.mark.parametrize("change", ["reset", "own change", "delete", "demote"])
def test_an_account_changed_while_its_login_is_checked_gets_no_stale_session(
        name: str, change: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The password check takes a while; whatever an admin or the owner does to the account meanwhile holds for
    the session the login opens: after a new password or removal there is none, after a demotion it is a
    viewer's."""
    accounts.ensure_admin("an admin password")  # so demoting this one is not demoting the last admin
    created = accounts.create_user(name, PASSWORD, role="admin")
    checking = accounts.password_matches

    def check_then_change(password: str, stored: str) -> bool:
        matched = checking(password, stored)
        monkeypatch.setattr(accounts, "password_matches", checking)  # the change checks passwords too
        user = accounts.get_by_username(name)
        if change == "reset":
            accounts.reset_password(name, "a new password 1")
        elif change == "own change":
            accounts.change_password(user.id, PASSWORD, "a new password 1", keep_token=None)
        elif change == "delete":
            accounts.delete_user(name)
        else:
            accounts.set_role(name, "viewer")
        return matched

    monkeypatch.setattr(accounts, "password_matches", check_then_change)
    if change == "demote":
        user, token = accounts.sign_in(name, PASSWORD)
        assert user.role == "viewer"
        assert auth.principal_for(token) == auth.Principal(id=user.id, username=name, role="viewer")
        # the session made from the old role is gone, not rewritten along with the user's other sessions
        sessions = redis_client().smembers(auth._user_sessions_key(created.id))
        assert [key for key in sessions if redis_client().exists(key)] == [auth._session_key(token)]
        return
    with pytest.raises(Unauthorized):
        accounts.sign_in(name, PASSWORD)
    sessions = redis_client().smembers(auth._user_sessions_key(created.id))
    assert [key for key in sessions if redis_client().exists(key)] == []


def test_reset_and_delete(name: str) -> None:
    user = accounts.create_user(name, PASSWORD)
    token = auth.issue_session(user.principal())
    _, generated = accounts.reset_password(name)
    assert len(generated) >= 12 and auth.principal_for(token) is None
    assert accounts.sign_in(name, generated)[0].id == user.id
    token = auth.issue_session(user.principal())
    accounts.delete_user(name)
    assert auth.principal_for(token) is None
    with pytest.raises(NotFound):
        accounts.get_by_username(name)
    with pytest.raises(NotFound):
        accounts.set_role(name, "admin")


def test_last_admin_stays(name: str) -> None:
    accounts.ensure_admin("an admin password")
    admins, _ = accounts.list_users(role="admin", per_page=500)
    for other in admins:
        if other.username != accounts.ADMIN_USERNAME:
            accounts.set_role(other.username, "viewer")
    with pytest.raises(Conflict) as caught:
        accounts.set_role(accounts.ADMIN_USERNAME, "viewer")
    assert caught.value.code == "last_admin"
    with pytest.raises(Conflict):
        accounts.delete_user(accounts.ADMIN_USERNAME)
    accounts.create_user(name, PASSWORD)
    accounts.set_role(name, "admin")
    accounts.set_role(name, "viewer")  # allowed: 'admin' remains


def test_ensure_admin_is_idempotent() -> None:
    first = accounts.ensure_admin("an admin password")
    assert first in {"created", "exists", "promoted"}
    assert accounts.ensure_admin("another password") == "exists"
    assert accounts.get_by_username("ADMIN").role == "admin"


def test_list_users_pages(name: str) -> None:
    for i in range(3):
        accounts.create_user(f"{name}{i}", PASSWORD)
    users, total = accounts.list_users(page=1, per_page=2)
    assert len(users) == 2 and total >= 3
    assert all("password_hash" not in u.public() for u in users)


# --- signup limit (login throttling: test_login_throttle.py) -------------------------------------------------------

def test_signups_per_address(address: str) -> None:
    limit = signup_limit.signup_address_limit()
    for _ in range(limit.limit):
        signup_limit.check_signup_allowed(address)
    with pytest.raises(TooManyRequests) as caught:
        signup_limit.check_signup_allowed(address)
    assert 0 < int(caught.value.headers["Retry-After"]) <= limit.window
    assert "Too many new accounts" in caught.value.message


class FakeClock:
    """Stands in for the `time` module where the signup window reads the time."""

    def __init__(self) -> None:
        self.now = time.time()

    def time(self) -> float:
        return self.now


def test_the_signup_window_moves(address: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A moving window: the signups of the last `window` seconds count, not those of a clock hour, so the limit
    never lets twice its number through around a boundary; a place frees up as the oldest signup ages out."""
    clock = FakeClock()
    monkeypatch.setattr(limits.storage.redis, "time", clock)
    monkeypatch.setattr(signup_limit, "time", clock)
    monkeypatch.setenv("SIGNUPS_PER_ADDRESS_LIMIT", "2")
    monkeypatch.setenv("SIGNUPS_PER_ADDRESS_WINDOW", "60")
    signup_limit.check_signup_allowed(address)
    clock.now += 40
    signup_limit.check_signup_allowed(address)
    with pytest.raises(TooManyRequests) as caught:
        signup_limit.check_signup_allowed(address)
    # when the first signup leaves the window (20 s), to the second: limits reads its start back from Redis
    # at whole-second precision
    assert int(caught.value.headers["Retry-After"]) in (20, 21)
    clock.now += 21
    signup_limit.check_signup_allowed(address)  # the first one has aged out; the second still counts
    with pytest.raises(TooManyRequests):
        signup_limit.check_signup_allowed(address)


def test_signups_from_inside_the_platform_have_no_address_limit() -> None:
    """Callers inside the platform (no front-door header) are not lumped into one shared address bucket."""
    for _ in range(signup_limit.signup_address_limit().limit + 1):
        signup_limit.check_signup_allowed(ratelimit.UNKNOWN_ADDRESS)


def test_name_lookup_survives_a_stale_or_lost_cache(name: str) -> None:
    user = accounts.create_user(name, PASSWORD)
    key = f"user-name:{name.lower()}"
    assert redis_client().get(key) == user.id
    redis_client().delete(key)  # lost (e.g. Redis restarted empty): the database answers and the entry returns
    assert accounts.sign_in(name, PASSWORD)[0].id == user.id
    assert redis_client().get(key) == user.id
    redis_client().set(key, "someone-else")  # stale: ignored
    assert accounts.sign_in(name.upper(), PASSWORD)[0].id == user.id
    accounts.delete_user(name)
    redis_client().set(key, user.id)
    with pytest.raises(Unauthorized):
        accounts.sign_in(name, PASSWORD)
    assert redis_client().get(key) is None


def test_a_process_that_only_opens_the_database_gets_every_unique_rule(stack: Any) -> None:
    """Indexes do not depend on which modules a process imported: opening the database is enough."""
    database = f"flmnchll_indexes_{secrets.token_hex(4)}"
    env = {**stack.env, "MONGODB_URI": f"mongodb://127.0.0.1:{stack.instance.ports['mongo']}/{database}"}
    opened = subprocess.run([sys.executable, "-c", "from flmnchll import stores; stores.db()"],
                            env=env, capture_output=True, text=True, timeout=60, check=False)
    assert opened.returncode == 0, opened.stderr
    client = stores.mongo_client()
    try:
        unique = {name for collection in ("users", "views", "content")
                  for name, spec in client[database][collection].index_information().items() if spec.get("unique")}
        assert unique == {"username_lower_unique", "one_view_per_user_item_day", "upload_id_unique"}
    finally:
        client.drop_database(database)
