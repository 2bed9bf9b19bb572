"""Room rules against real FerretDB and Redis: PINs and brute force, votes, playback, lapses, host hand-over."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest

from flmnchll import stores
from flmnchll.config import settings
from flmnchll.errors import BadRequest, Conflict, Forbidden, TooManyRequests
from flmnchll.rooms import peers, pins, rooms
from flmnchll.rooms.clock import now_ms
from flmnchll.stats import views
from tests.faas_harness import free_port_block
from tests.scripted_server import SlowHealthServer

pytestmark = pytest.mark.usefixtures("rooms_env")


def _ip() -> str:
    return f"10.9.{int(time.time() * 1000) % 250}.{threading.get_ident() % 250}"


def test_pin_wrong_right_and_brute_force(make_user: Any) -> None:
    host, guest, attacker = make_user("host"), make_user("guest"), make_user("attacker")
    room = rooms.create(host, "Movie night", pin="4821")
    assert room["has_pin"] is True
    assert "pin_hash" not in room and "pin" not in room
    with pytest.raises(Forbidden) as wrong:
        rooms.join(guest, room["id"], "0000", "10.0.0.1")
    assert wrong.value.status == 403
    joined = rooms.join(guest, room["id"], "4821", "10.0.0.1")
    assert [m["user_id"] for m in joined["members"]] == [guest.id]
    for _ in range(pins.pin_policy().free_failures):
        with pytest.raises(Forbidden):
            rooms.join(attacker, room["id"], "1111", "10.0.0.66")
    with pytest.raises(TooManyRequests) as limited:
        rooms.join(attacker, room["id"], "4821", "10.0.0.66")
    assert limited.value.status == 429 and limited.value.code == "too_many_pin_tries"
    assert limited.value.headers["Retry-After"] == "2" and "Please wait 2 seconds" in limited.value.message


def test_no_stranger_can_keep_a_member_with_the_right_pin_out(make_user: Any) -> None:
    """Threat model row "Login throttling" (room PINs): failures against a room slow the guessers only."""
    host, guest = make_user("host"), make_user("guest")
    room = rooms.create(host, "Busy night", pin="4821")
    heard = 0
    for i in range(40):
        attacker = make_user(f"attacker{i}")
        for _ in range(pins.pin_policy().free_failures + 2):
            try:
                rooms.join(attacker, room["id"], "1111", f"10.1.{i}.66")
                raise AssertionError("a wrong PIN let someone in")
            except Forbidden:
                heard += 1
            except TooManyRequests:
                break
    assert heard >= 40  # every newcomer's first try is heard, however busy the guessing
    joined = rooms.join(guest, room["id"], "4821", "10.1.0.66")  # even from a guesser's address
    assert guest.id in [m["user_id"] for m in joined["members"]]


def test_members_rejoin_without_the_pin_and_state_hides_from_strangers(make_user: Any) -> None:
    host, guest, stranger = make_user("host"), make_user("guest"), make_user("stranger")
    room = rooms.create(host, "Secret", pin="123456")
    rooms.join(host, room["id"], None, _ip())
    rooms.join(guest, room["id"], "123456", _ip())
    assert rooms.join(guest, room["id"], None, _ip())["id"] == room["id"]
    with pytest.raises(Forbidden):
        rooms.state(stranger, room["id"])


def test_join_returns_what_the_browser_needs(make_user: Any, make_item: Any) -> None:
    host = make_user("host")
    item = make_item("Opening film", 5400)
    room = rooms.create(host, "Shape", content_id=item)
    assert set(room["peer"]) >= {"host", "port", "path", "key"}
    answer = rooms.join(host, room["id"], None, _ip())
    for key in ("id", "name", "host_id", "members", "content", "playback", "locked", "votes", "server_time",
                "peer", "ice_servers"):
        assert key in answer, key
    assert answer["host_id"] == host.id
    assert answer["content"]["id"] == item and answer["content"]["title"] == "Opening film"
    assert set(answer["playback"]) >= {"state", "position", "updated_at", "rate"}
    peer = answer["peer"]
    assert peer["peer_id"].startswith(f"{room['id']}-") and peer["token"].count(".") == 1
    assert peer["path"].startswith("/peerjs/")
    member = answer["members"][0]
    assert set(member) >= {"user_id", "username", "peer_id", "last_seen"}
    turn_entry = next(s for s in answer["ice_servers"] if "username" in s)
    assert turn_entry["username"].endswith(f":{host.id}")
    assert any(u.startswith("turn:") and u.endswith("transport=tcp") for u in turn_entry["urls"])


def test_the_wait_for_a_member_that_cannot_load_is_the_operators_to_set(
        make_user: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    host = make_user("host")
    room = rooms.create(host, "Patience")
    try:
        monkeypatch.setenv("ROOM_BUFFER_WAIT_S", "25")
        settings.cache_clear()
        assert rooms.join(host, room["id"], None, _ip())["buffer_wait_s"] == 25
        for wrong in ("0", "601"):
            monkeypatch.setenv("ROOM_BUFFER_WAIT_S", wrong)
            settings.cache_clear()
            with pytest.raises(ValueError, match=f"ROOM_BUFFER_WAIT_S must be 1 to 600 seconds, not {wrong}"):
                settings()
    finally:
        monkeypatch.undo()
        settings.cache_clear()


def test_two_members_vote_and_the_winner_plays_next(make_user: Any, make_item: Any) -> None:
    host, guest = make_user("host"), make_user("guest")
    first, second, third = make_item("First"), make_item("Second"), make_item("Third")
    room = rooms.create(host, "Votes", content_id=first)
    rooms.join(host, room["id"], None, _ip())
    rooms.join(guest, room["id"], None, _ip())
    rooms.propose(host, room["id"], second)
    rooms.propose(guest, room["id"], third)
    rooms.vote(host, room["id"], third)
    state = rooms.vote(host, room["id"], third)  # a double vote counts once
    tally = {e["content_id"]: e["votes"] for e in state["votes"]}
    assert tally == {third: 2, second: 1}
    assert state["votes"][0]["content_id"] == third
    with pytest.raises(Forbidden):
        rooms.play_next(guest, room["id"])
    # a report that the film ended, while the room is at its start, skips nothing
    with pytest.raises(Conflict) as early:
        rooms.play_next(guest, room["id"], ended=first)
    assert early.value.code == "not_ended"
    assert rooms.state(host, room["id"])["content_id"] == first
    # the current item ends: several members report it, the winner starts once
    rooms.playback(host, room["id"], "seek", position=598.0)
    after = rooms.play_next(guest, room["id"], ended=first)
    again = rooms.play_next(host, room["id"], ended=first)
    assert after["content_id"] == third and again["content_id"] == third
    assert after["playback"]["state"] == "playing" and after["playback"]["position"] == 0
    assert [e["content_id"] for e in again["votes"]] == [second]
    # the host may start the (now only) proposal at any time, or override
    assert rooms.play_next(host, room["id"])["content_id"] == second
    assert rooms.set_content(host, room["id"], first)["content_id"] == first
    with pytest.raises(Conflict):
        rooms.play_next(host, room["id"])


def test_in_a_locked_room_only_the_host_may_report_the_end(make_user: Any, make_item: Any) -> None:
    host, guest = make_user("host"), make_user("guest")
    first, second = make_item("First", duration=100.0), make_item("Second")
    room = rooms.create(host, "Locked", content_id=first)
    for user in (host, guest):
        rooms.join(user, room["id"], None, _ip())
    rooms.propose(guest, room["id"], second)
    rooms.set_locked(host, room["id"], True)
    rooms.playback(host, room["id"], "seek", position=99.0)
    with pytest.raises(Forbidden) as refused:
        rooms.play_next(guest, room["id"], ended=first)
    assert refused.value.code == "playback_locked"
    assert rooms.state(guest, room["id"])["content_id"] == first
    assert rooms.play_next(host, room["id"], ended=first)["content_id"] == second


def test_the_owner_removes_a_member_who_then_stays_out(make_user: Any) -> None:
    """Threat model, row "Rooms": a room without a PIN filled by strangers keeps nobody out for long, and a
    stranger who comes to host it cannot shut its members out."""
    owner, guest, troll = make_user("owner"), make_user("guest"), make_user("troll")
    room = rooms.create(owner, "Open")
    for user in (owner, guest, troll):
        rooms.join(user, room["id"], None, _ip())
    with pytest.raises(Forbidden) as not_owner:
        rooms.remove_member(guest, room["id"], troll.id)
    assert not_owner.value.code == "owner_only"
    after = rooms.remove_member(owner, room["id"], troll.id)
    assert troll.id not in [m["user_id"] for m in after["members"]]
    assert after["removed_peers"] == [rooms._peer_prefix(room["id"], troll.id)]
    # the removed member is refused everywhere, with a reason a person understands, and cannot get back in
    for attempt in (lambda: rooms.join(troll, room["id"], None, _ip()), lambda: rooms.state(troll, room["id"]),
                    lambda: rooms.heartbeat(troll, room["id"]), lambda: rooms.vote(troll, room["id"], "c0")):
        with pytest.raises(Forbidden) as refused:
            attempt()
        assert refused.value.code == "removed" and "removed you" in refused.value.message
    # hosting handed over (or passed on when the owner left for a moment) gives no power to remove
    rooms.set_host(owner, room["id"], guest.id)
    with pytest.raises(Forbidden) as host_only:
        rooms.remove_member(guest, room["id"], owner.id)
    assert host_only.value.code == "owner_only"
    with pytest.raises(BadRequest):
        rooms.remove_member(owner, room["id"], owner.id)
    assert {m["user_id"] for m in rooms.state(owner, room["id"])["members"]} == {owner.id, guest.id}


def test_a_stranger_cannot_leave_a_room_to_read_it(make_user: Any) -> None:
    """Leaving answers with the room's state: only to someone who was in it (a PIN room's state is the members')."""
    host, stranger = make_user("host"), make_user("stranger")
    room = rooms.create(host, "Private", pin="2468")
    rooms.join(host, room["id"], None, _ip())
    before = stores.db().rooms.find_one({"_id": room["id"]})
    with pytest.raises(Conflict) as refused:
        rooms.leave(stranger, room["id"])
    assert refused.value.code == "not_a_member"
    after = stores.db().rooms.find_one({"_id": room["id"]})
    assert after["expires_at"] == before["expires_at"] and after["version"] == before["version"]
    assert [m["user_id"] for m in rooms.leave(host, room["id"])["members"]] == []


def test_a_film_still_being_encoded_is_watched_together_once_it_plays(make_user: Any, make_item: Any) -> None:
    host = make_user("host")
    uploading = make_item("Uploading", status="processing", playable=False)
    premiere = make_item("Premiere", status="processing", playable=True)
    with pytest.raises(Conflict):
        rooms.create(host, "Too soon", content_id=uploading)
    room = rooms.create(host, "Premiere night", content_id=premiere)
    assert room["content_id"] == premiere
    rooms.join(host, room["id"], None, _ip())
    with pytest.raises(Conflict):
        rooms.set_content(host, room["id"], uploading)
    with pytest.raises(Conflict):
        rooms.propose(host, room["id"], uploading)
    assert rooms.set_content(host, room["id"], premiere)["content_id"] == premiere


def test_late_joiner_gets_the_position_advanced_by_elapsed_time(make_user: Any, make_item: Any) -> None:
    host, late = make_user("host"), make_user("late")
    room = rooms.create(host, "Late", content_id=make_item("Long", 7200))
    t0 = now_ms()  # the test's clock, advanced by hand: no waiting
    rooms.join(host, room["id"], None, _ip(), now=t0)
    started = rooms.playback(host, room["id"], "play", position=100.0, now=t0)
    assert started["playback"]["state"] == "playing"
    joined = rooms.join(late, room["id"], None, _ip(), now=t0 + 1200)
    assert joined["server_time"] - started["playback"]["changed_at"] == 1200
    assert joined["playback"]["position"] == pytest.approx(101.2, abs=0.01)
    paused = rooms.playback(late, room["id"], "pause", position=150.0, now=t0 + 1300)
    assert rooms.state(host, room["id"], now=t0 + 1600)["playback"]["position"] == 150.0
    assert paused["playback"]["position"] == 150.0


def test_stale_commands_lose_and_lock_limits_playback_to_the_host(make_user: Any) -> None:
    host, guest = make_user("host"), make_user("guest")
    room = rooms.create(host, "Race")
    rooms.join(host, room["id"], None, _ip())
    rooms.join(guest, room["id"], None, _ip())
    now = time.time() * 1000
    assert rooms.playback(host, room["id"], "seek", position=30, at=now + 200)["applied"] is True
    late = rooms.playback(guest, room["id"], "seek", position=5, at=now + 100)
    assert late["applied"] is False and late["playback"]["position"] >= 30
    rooms.set_locked(host, room["id"], True)
    with pytest.raises(Forbidden):
        rooms.playback(guest, room["id"], "pause", position=10)
    assert rooms.playback(host, room["id"], "pause", position=10)["playback"]["state"] == "paused"


def test_concurrent_heartbeats_and_commands_do_not_lose_updates(make_user: Any) -> None:
    members = [make_user(f"m{i}") for i in range(5)]
    room = rooms.create(members[0], "Busy")
    for member in members:
        rooms.join(member, room["id"], None, _ip())
    errors: list[BaseException] = []

    def beat(index: int) -> None:
        try:
            for step in range(5):
                rooms.heartbeat(members[index], room["id"], position=float(index * 100 + step), playing=False)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=beat, args=(i,)) for i in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    final = rooms.state(members[0], room["id"])
    assert {m["user_id"]: m["position"] for m in final["members"]} == {
        m.id: float(i * 100 + 4) for i, m in enumerate(members)}


def test_lapsed_member_is_dropped_and_hosting_passes_on(make_user: Any) -> None:
    host, guest, third = make_user("host"), make_user("guest"), make_user("third")
    room = rooms.create(host, "Lapse")
    for user in (host, guest, third):
        rooms.join(user, room["id"], None, _ip())
    rooms.heartbeat(host, room["id"], position=1.0, playing=False)
    old = int(time.time() * 1000) - 60_000
    stores.redis_client().hset(f"room-presence:{room['id']}", host.id, json.dumps({"t": old}))
    doc = stores.db().rooms.find_one({"_id": room["id"]})
    for member in doc["members"]:
        if member["user_id"] == host.id:
            member["last_seen"] = old
    doc["host_seen_at"] = old
    stores.db().rooms.replace_one({"_id": room["id"]}, doc)
    state = rooms.heartbeat(guest, room["id"])
    assert host.id not in [m["user_id"] for m in state["members"]]
    assert state["host_id"] == guest.id
    with pytest.raises(Conflict):
        rooms.heartbeat(host, room["id"])
    assert rooms.set_host(guest, room["id"], third.id)["host_id"] == third.id
    assert rooms.leave(third, room["id"])["host_id"] == guest.id


def test_empty_room_expires(make_user: Any) -> None:
    host = make_user("host")
    room = rooms.create(host, "Gone soon")
    stores.db().rooms.update_one({"_id": room["id"]}, {"$set": {"expires_at": rooms._expiry(0)}})
    with pytest.raises(Exception) as missing:
        rooms.state(host, room["id"])
    assert getattr(missing.value, "status", None) == 404
    rooms.purge_expired()
    assert stores.db().rooms.find_one({"_id": room["id"]}) is None


def test_watching_counts_one_view_after_a_few_seconds(make_user: Any, make_item: Any,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIEW_AFTER_SECONDS", "1")
    viewer = make_user("viewer")
    item = make_item("Counted")
    room = rooms.create(viewer, "Views", content_id=item)
    t0 = now_ms()
    rooms.join(viewer, room["id"], None, _ip(), now=t0)
    calls: list[tuple] = []
    monkeypatch.setattr(views, "record_view", lambda *args: calls.append(args) or True)
    monkeypatch.setattr("flmnchll.rooms.watched.record_view", lambda *args: calls.append(args) or True)
    rooms.heartbeat(viewer, room["id"], position=0, playing=True, now=t0)
    rooms.heartbeat(viewer, room["id"], position=0.6, playing=True, now=t0 + 600)
    assert calls == []
    rooms.heartbeat(viewer, room["id"], position=1.2, playing=True, now=t0 + 1200)
    rooms.heartbeat(viewer, room["id"], position=1.5, playing=True, now=t0 + 1500)
    assert len(calls) == 1 and calls[0][:2] == (viewer.id, item) and calls[0][2] >= 1.0


def test_record_view_counts_once_per_day(make_user: Any, make_item: Any) -> None:
    viewer, item = make_user("viewer"), make_item("Once")
    assert views.record_view(viewer.id, item, 6.0) is True
    assert views.record_view(viewer.id, item, 9.0) is False
    assert stores.db().views.count_documents({"user_id": viewer.id, "content_id": item}) == 1


def test_my_rooms_lists_recent_rooms(make_user: Any) -> None:
    user = make_user("me")
    first = rooms.create(user, "One")
    second = rooms.create(user, "Two", pin="9999")
    rooms.join(user, first["id"], None, _ip())
    rooms.join(user, second["id"], None, _ip())
    items = rooms.mine(user)["items"]
    assert [i["id"] for i in items] == [second["id"], first["id"]]
    assert items[0]["has_pin"] is True and items[0]["members"] == 1


def test_a_room_stays_on_its_signalling_server_while_it_answers_slowly(
        make_user: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Members who joined before a slow answer and those after must meet on one server: a live server that takes
    a second to answer while a whole room joins keeps the room; one that is down loses it, and the members' next
    heartbeat says where it went."""
    host, guest = make_user("host"), make_user("guest")
    base = free_port_block(2)
    slow = SlowHealthServer(base, delay=1.0)
    quick: SlowHealthServer | None = None
    try:
        monkeypatch.setenv("PEER_PORT", str(base))
        monkeypatch.setenv("PEER_POOL_SIZE", "1")
        settings.cache_clear()
        peers.forget(base)
        room = rooms.create(host, "Busy server")
        assert room["peer"]["server"]["port"] == base
        monkeypatch.setenv("PEER_POOL_SIZE", "2")
        settings.cache_clear()
        quick = SlowHealthServer(base + 1, delay=0.0)
        peers.forget(base)
        assert rooms.join(guest, room["id"], None, _ip())["peer"]["server"]["port"] == base
        assert rooms.heartbeat(guest, room["id"])["peer_server"] == 0
        # down (nothing listens): the next join moves the room to the server that answers
        slow.close()
        peers.forget(base)
        assert rooms.join(host, room["id"], None, _ip())["peer"]["server"]["port"] == base + 1
        # the guest, still connected to the old server, learns from its next heartbeat where the room went
        assert rooms.heartbeat(guest, room["id"])["peer_server"] == 1
    finally:
        slow.close()
        if quick is not None:
            quick.close()
        monkeypatch.undo()
        settings.cache_clear()
        peers.forget(base)
        peers.forget(base + 1)
