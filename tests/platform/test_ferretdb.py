"""FerretDB as our MongoDB: the operations the app relies on, checked against the real server we build.

FerretDB is not MongoDB, so these tests pin down the behaviour the business code assumes (documents round-trip,
a unique index refuses a duplicate insert with DuplicateKeyError, updates apply, `$group` aggregates) and that the
server stops cleanly on SIGTERM, as supervisord expects. The module starts its own server from `.tools/bin/ferretdb`
(built by `scripts/go-tools.sh`) on a free port with a throw-away data folder, so it runs beside any instance.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pymongo
import pytest
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError, PyMongoError

REPO = Path(__file__).resolve().parents[2]
FERRETDB = REPO / ".tools" / "bin" / "ferretdb"
START_TIMEOUT = 30.0


def free_port() -> int:
    """A loopback port nobody listens on now, so the test server cannot collide with a running instance."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(client: pymongo.MongoClient, proc: subprocess.Popen[bytes], log: Path) -> None:
    """Poll `ping` until the server answers; fail early with its log if the process died."""
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if proc.poll() is not None:
            pytest.fail(f"ferretdb exited with {proc.returncode}:\n{log.read_text(errors='replace')}")
        try:
            client.admin.command("ping")
            return
        except PyMongoError:
            if time.monotonic() > deadline:
                pytest.fail(f"ferretdb did not answer within {START_TIMEOUT}s:\n{log.read_text(errors='replace')}")
            time.sleep(0.1)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Run one FerretDB for the module and yield its URI; on teardown check that SIGTERM stops it cleanly."""
    if not FERRETDB.exists():
        pytest.fail(f"{FERRETDB} is missing: run `bash scripts/go-tools.sh` first")
    base = tmp_path_factory.mktemp("ferretdb")
    data = base / "data" / "not-yet-created"  # the server must create its data folder itself
    log = base / "ferretdb.log"
    port = free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(FERRETDB), "-listen-addr", f"127.0.0.1:{port}", "-sqlite-dir", str(data), "-log-level", "warn"],
            stdout=out, stderr=subprocess.STDOUT,
        )
    uri = f"mongodb://127.0.0.1:{port}/"
    probe: pymongo.MongoClient = pymongo.MongoClient(uri, serverSelectionTimeoutMS=500)
    try:
        wait_ready(probe, proc, log)
        assert data.is_dir()
        yield uri
    finally:
        probe.close()
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                pytest.fail("ferretdb ignored SIGTERM for 15s")
    assert proc.returncode == 0, f"unclean exit {proc.returncode}:\n{log.read_text(errors='replace')}"


@pytest.fixture(scope="module")
def db(server: str) -> Iterator[Database]:
    """One client for the module's tests, like a function process keeps one."""
    client: pymongo.MongoClient = pymongo.MongoClient(server, serverSelectionTimeoutMS=5000, tz_aware=True)
    try:
        yield client["flmnchll_test"]
    finally:
        client.close()


@pytest.fixture
def coll(db: Database, request: pytest.FixtureRequest) -> Collection:
    """A fresh collection per test, so tests stay independent of each other's documents and indexes."""
    name = request.node.name.replace("[", "_").replace("]", "")
    db.drop_collection(name)
    return db[name]


def test_insert_and_find(coll: Collection) -> None:
    result = coll.insert_many([
        {"username": "ann", "role": "admin", "age": 31},
        {"username": "bob", "role": "viewer", "age": 25},
        {"username": "cid", "role": "viewer", "age": 40},
    ])
    assert len(result.inserted_ids) == 3

    ann = coll.find_one({"username": "ann"})
    assert ann is not None
    assert ann["_id"] == result.inserted_ids[0]
    assert (ann["role"], ann["age"]) == ("admin", 31)

    viewers = list(coll.find({"role": "viewer", "age": {"$gte": 30}}, {"_id": 0, "username": 1}))
    assert viewers == [{"username": "cid"}]
    ordered = [d["username"] for d in coll.find({}, {"username": 1}).sort("age", pymongo.DESCENDING)]
    assert ordered == ["cid", "ann", "bob"]
    assert coll.count_documents({"role": "viewer"}) == 2


def test_unique_index_refuses_duplicate_insert(coll: Collection) -> None:
    coll.create_index("username", unique=True, name="username_unique")
    assert coll.index_information()["username_unique"]["unique"] is True

    coll.insert_one({"username": "ann"})
    with pytest.raises(DuplicateKeyError):
        coll.insert_one({"username": "ann"})
    coll.insert_one({"username": "bob"})
    assert sorted(d["username"] for d in coll.find()) == ["ann", "bob"]


def test_update(coll: Collection) -> None:
    coll.insert_one({"_id": "room1", "name": "Movie night", "members": ["ann"], "views": 0})

    result = coll.update_one({"_id": "room1"}, {"$set": {"name": "Film night"}, "$push": {"members": "bob"},
                                                "$inc": {"views": 2}})
    assert (result.matched_count, result.modified_count) == (1, 1)
    room = coll.find_one({"_id": "room1"})
    assert room == {"_id": "room1", "name": "Film night", "members": ["ann", "bob"], "views": 2}

    missing = coll.update_one({"_id": "nope"}, {"$set": {"name": "x"}})
    assert missing.matched_count == 0
    coll.update_one({"_id": "room2"}, {"$set": {"name": "Upserted"}}, upsert=True)
    assert coll.find_one({"_id": "room2"}) == {"_id": "room2", "name": "Upserted"}


VIEWS = [
    {"content_id": "a", "seconds": 10},
    {"content_id": "b", "seconds": 5},
    {"content_id": "a", "seconds": 20},
    {"content_id": "c", "seconds": 1},
    {"content_id": "a", "seconds": 30},
    {"content_id": "b", "seconds": 7},
]


def test_aggregate_group(coll: Collection) -> None:
    """One accumulator per `$group` (count, or sum of a field), then `$sort`: the shape the stats use."""
    coll.insert_many([dict(v) for v in VIEWS])
    counts = list(coll.aggregate([
        {"$match": {"seconds": {"$gt": 1}}},
        {"$group": {"_id": "$content_id", "views": {"$sum": 1}}},
        {"$sort": {"views": -1, "_id": 1}},
    ]))
    assert counts == [{"_id": "a", "views": 3}, {"_id": "b", "views": 2}]

    seconds = list(coll.aggregate([
        {"$group": {"_id": "$content_id", "seconds": {"$sum": "$seconds"}}},
        {"$sort": {"_id": 1}},
    ]))
    assert seconds == [{"_id": "a", "seconds": 60}, {"_id": "b", "seconds": 12}, {"_id": "c", "seconds": 1}]

    total = list(coll.aggregate([{"$group": {"_id": None, "n": {"$count": {}}}}]))
    assert total == [{"_id": None, "n": 6}]


@pytest.mark.xfail(strict=True, reason="FerretDB 1.24: accumulators after the first in one $group see no documents")
def test_aggregate_group_several_accumulators(coll: Collection) -> None:
    """Known FerretDB 1.x bug: in `{"$group": {..., "x": {"$sum": 1}, "y": {"$sum": "$f"}}}` only `x` is right
    (`y` comes back 0), so app code must use one accumulator per `$group`. Strict, so an upgrade that fixes it is
    noticed and the workaround can go."""
    coll.insert_many([dict(v) for v in VIEWS])
    rows = list(coll.aggregate([
        {"$group": {"_id": "$content_id", "views": {"$sum": 1}, "seconds": {"$sum": "$seconds"}}},
        {"$sort": {"_id": 1}},
    ]))
    assert rows == [
        {"_id": "a", "views": 3, "seconds": 60},
        {"_id": "b", "views": 2, "seconds": 12},
        {"_id": "c", "views": 1, "seconds": 1},
    ]
