"""The vote rules on a bare room document: one vote per member per item, tally order, winner."""

from __future__ import annotations

import pytest

from flmnchll.errors import Conflict, NotFound
from flmnchll.rooms import votes


def room() -> dict:
    return {"content_id": "now", "votes": []}


def test_double_vote_counts_once_and_winner_has_most_votes() -> None:
    doc = room()
    votes.propose(doc, "alice", {"id": "a", "title": "A"}, 1)
    votes.propose(doc, "bob", {"id": "b", "title": "B"}, 2)
    votes.vote(doc, "alice", "b")
    votes.vote(doc, "alice", "b")
    votes.propose(doc, "alice", {"id": "b", "title": "B"}, 3)
    ranked = votes.tally(doc)
    assert [(e["content_id"], e["votes"]) for e in ranked] == [("b", 2), ("a", 1)]
    assert sorted(ranked[0]["voters"]) == ["alice", "bob"]
    assert votes.winner(doc)["content_id"] == "b"


def test_ties_go_to_the_older_proposal_and_votes_can_be_taken_back() -> None:
    doc = room()
    votes.propose(doc, "alice", {"id": "a", "title": "A"}, 1)
    votes.propose(doc, "bob", {"id": "b", "title": "B"}, 2)
    assert votes.winner(doc)["content_id"] == "a"
    votes.vote(doc, "alice", "a", remove=True)
    assert votes.winner(doc)["content_id"] == "b"
    votes.forget_voter(doc, "bob")
    assert [e["votes"] for e in votes.tally(doc)] == [0, 0]


def test_unknown_and_playing_items_are_refused() -> None:
    doc = room()
    with pytest.raises(NotFound):
        votes.vote(doc, "alice", "nope")
    with pytest.raises(Conflict):
        votes.propose(doc, "alice", {"id": "now", "title": "Now"}, 1)
