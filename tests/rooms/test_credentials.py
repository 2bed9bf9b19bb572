"""Peer tokens against the PeerJS pool's published vectors, TURN credentials against a hand-computed HMAC."""

from __future__ import annotations

import json
from pathlib import Path

from flmnchll.rooms import clock, peer_tokens, turn

VECTORS = Path(__file__).resolve().parents[2] / "peer" / "test" / "token-vectors.json"


def _vectors() -> dict:
    return json.loads(VECTORS.read_text())


def test_peer_tokens_match_the_pool_vectors() -> None:
    vectors = _vectors()
    for case in vectors["valid"]:
        assert peer_tokens.sign_json(case["payload_json"], vectors["secret"]) == case["token"], case["name"]
        assert peer_tokens.verify(case["token"], vectors["secret"], now=vectors["now"]) == case["payload"]


def test_issued_token_has_the_pool_format() -> None:
    vectors = _vectors()
    first = vectors["valid"][0]
    payload = first["payload"]
    token, exp = peer_tokens.issue(payload["room"], payload["peer"], payload["user"],
                                   ttl=payload["exp"] - 1_000, now=1_000, secret=vectors["secret"])
    assert exp == payload["exp"]
    assert token == first["token"]


def test_invalid_vectors_do_not_verify() -> None:
    vectors = _vectors()
    for case in vectors["invalid"]:
        if case["reason"] == "peer":
            continue  # the server checks the connecting id; the signature itself is fine
        assert peer_tokens.verify(case["token"], vectors["secret"], now=vectors["now"]) is None, case["name"]


def test_expired_and_tampered_tokens_fail() -> None:
    token, _ = peer_tokens.issue("r1", "r1-u1-a", "u1", ttl=60, now=1_000, secret="k")
    assert peer_tokens.verify(token, "k", now=1_059)["peer"] == "r1-u1-a"
    assert peer_tokens.verify(token, "k", now=1_060) is None
    assert peer_tokens.verify(token, "other", now=1_000) is None
    part1, part2 = token.split(".")
    assert peer_tokens.verify(part1[:-2] + "xx." + part2, "k", now=1_000) is None


def test_turn_password_matches_hand_computed_hmac() -> None:
    # printf '1700000000:alice' | openssl dgst -sha1 -hmac s3cret -binary | base64
    assert turn.turn_password("s3cret", "1700000000:alice") == "TtElzSjT0GdnTQ9xdcRNxx96yQs="
    username, password, expiry = turn.credentials("alice", ttl=3600, now=1_699_996_400, secret="s3cret")
    assert (username, password, expiry) == ("1700000000:alice", "TtElzSjT0GdnTQ9xdcRNxx96yQs=", 1_700_000_000)


def test_clock_stamps_are_ordered() -> None:
    received = clock.now_ms()
    answer = clock.stamps(123.5, received)
    assert answer["t0"] == 123.5
    assert answer["t1"] <= answer["t2"]
    assert abs(answer["t2"] - clock.now_ms()) < 1000
