"""The storage contract, run once against a local folder and once against a local S3-compatible server.

Both backends must behave the same for what functions and workers do with files (write, read, list, delete a
whole item) and both must hand out links that only work while signed: nginx's secure_link scheme locally,
presigned GETs on S3. The S3 side is a real S3-compatible server (SeaweedFS, built by scripts/go-tools.sh) with
one identity, so signatures, expiry and ranges are checked the way object storage checks them.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from flmnchll import config, storage
from flmnchll.content import links
from ops import seaweedfs

BUCKET = "flmnchll-test"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


ACCESS_KEY = "flmnchll-tests"
SECRET_KEY = secrets.token_urlsafe(24)


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """SeaweedFS in its single-process mode on free loopback ports, accepting only our test identity."""
    weed = Path(__file__).resolve().parents[2] / ".tools" / "bin" / "weed"
    if not weed.exists():
        pytest.fail(f"{weed} is missing: run `make test` or `scripts/install.sh --with-s3` "
                    "(they build the S3 server the tests use)")
    home = tmp_path_factory.mktemp("s3")
    (home / "s3.json").write_text(seaweedfs.identities(ACCESS_KEY, SECRET_KEY))
    s3_port = free_port()
    inner = [free_port() for _ in seaweedfs.INNER_PORTS]
    command = seaweedfs.command(weed, home / "data", home / "s3.json", s3_port, inner)
    endpoint = f"http://127.0.0.1:{s3_port}"
    with (home / "weed.log").open("wb") as log:
        server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not _answers(endpoint):
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the S3 server did not start: {(home / 'weed.log').read_text()[-2000:]}")
            time.sleep(0.2)
        yield endpoint
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def _answers(endpoint: str) -> bool:
    try:
        return requests.get(endpoint, timeout=1).status_code in (200, 403)
    except requests.RequestException:
        return False


@pytest.fixture(params=["local", "s3"])
def backend(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("MEDIA_SECRET", "test-media-secret")
    monkeypatch.setenv("MEDIA_DIR", str(tmp_path / "media"))
    monkeypatch.setenv("UPLOAD_DIR", str(tmp_path / "uploads"))
    monkeypatch.setenv("PUBLIC_URL", "http://front.test")
    monkeypatch.setenv("STORAGE_BACKEND", request.param)
    config.settings.cache_clear()
    request.addfinalizer(config.settings.cache_clear)
    if request.param == "s3":
        endpoint = request.getfixturevalue("s3_endpoint")
        bucket = f"{BUCKET}-{time.monotonic_ns()}"
        monkeypatch.setenv("S3_ENDPOINT_URL", endpoint)
        monkeypatch.setenv("S3_BUCKET", bucket)
        monkeypatch.setenv("S3_ACCESS_KEY", ACCESS_KEY)
        monkeypatch.setenv("S3_SECRET_KEY", SECRET_KEY)
        storage.s3_client().create_bucket(Bucket=bucket)
    return request.param


def test_bytes_round_trip(backend: str) -> None:
    media = storage.media()
    media.put_bytes("abc123/720p.mp4", b"video bytes", "video/mp4")
    assert media.exists("abc123/720p.mp4")
    assert media.get_bytes("abc123/720p.mp4") == b"video bytes"
    assert media.size("abc123/720p.mp4") == len(b"video bytes")
    assert not media.exists("abc123/1080p.mp4")


def test_file_round_trip(backend: str, tmp_path: Path) -> None:
    source = tmp_path / "source.bin"
    source.write_bytes(bytes(range(256)) * 4096)
    uploads = storage.uploads()
    uploads.put_file("upload-1", source)
    target = uploads.download("upload-1", tmp_path / "copy" / "back.bin")
    assert target.read_bytes() == source.read_bytes()


def test_missing_key_is_not_found(backend: str, tmp_path: Path) -> None:
    media = storage.media()
    with pytest.raises(storage.NotFound):
        media.get_bytes("nothing/here.mp4")
    with pytest.raises(storage.NotFound):
        media.size("nothing/here.mp4")
    with pytest.raises(FileNotFoundError):
        media.download("nothing/here.mp4", tmp_path / "x")


def test_a_file_gone_before_it_is_handed_over_leaves_nothing(backend: str, tmp_path: Path) -> None:
    """A job whose work folder was removed under it (its item deleted meanwhile) publishes nothing, and
    leaves nothing in the item's place."""
    media = storage.media()
    with pytest.raises(FileNotFoundError):
        media.move_file("gone1/poster.jpg", tmp_path / "work" / "poster.jpg")
    with pytest.raises(FileNotFoundError):
        media.put_file("gone1/sprite.jpg", tmp_path / "work" / "sprite.jpg")
    assert media.list("gone1/") == []
    if backend == "local":
        left = Path(os.environ["MEDIA_DIR"]) / "gone1"
        assert not left.exists() or not any(left.iterdir()), list(left.iterdir())


def test_areas_are_separate(backend: str) -> None:
    storage.media().put_bytes("same", b"media")
    storage.uploads().put_bytes("same", b"upload")
    assert storage.media().get_bytes("same") == b"media"
    assert storage.uploads().get_bytes("same") == b"upload"


def test_list_and_delete_an_item(backend: str) -> None:
    media = storage.media()
    for name in ("360p.mp4", "360p.webm", "thumb.jpg"):
        media.put_bytes(f"item1/{name}", name.encode())
    media.put_bytes("item2/360p.mp4", b"other")
    assert media.list("item1/") == ["item1/360p.mp4", "item1/360p.webm", "item1/thumb.jpg"]
    media.delete("item1/thumb.jpg")
    assert media.list("item1/") == ["item1/360p.mp4", "item1/360p.webm"]
    assert media.delete_prefix("item1/") == 2
    assert media.list("item1/") == []
    assert media.list() == ["item2/360p.mp4"]
    media.delete("item2/missing.mp4")  # deleting what is gone is not an error


def test_overwrite_replaces(backend: str) -> None:
    media = storage.media()
    media.put_bytes("item/thumb.jpg", b"old")
    media.put_bytes("item/thumb.jpg", b"new")
    assert media.get_bytes("item/thumb.jpg") == b"new"


@pytest.mark.parametrize("key", ["", "../secret", "a/../../b", ".hidden", "a//b", "a/.work-x/y", "/abs"])
def test_unsafe_keys_are_refused(backend: str, key: str) -> None:
    with pytest.raises(ValueError):
        storage.media().put_bytes(key, b"x")


def test_uploads_are_never_linked(backend: str) -> None:
    storage.uploads().put_bytes("u1", b"x")
    with pytest.raises(ValueError):
        storage.uploads().signed_url("u1")


def test_signed_link_serves_the_file(backend: str) -> None:
    media = storage.media()
    media.put_bytes("item9/480p.mp4", b"0123456789")
    url = media.signed_url("item9/480p.mp4", duration=7200, absolute=True)
    if backend == "s3":
        answer = requests.get(url, timeout=10)
        assert answer.status_code == 200 and answer.content == b"0123456789"
        query = parse_qs(urlsplit(url).query)
        assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"] and query["X-Amz-Signature"][0]
        expires = int(parse_qs(urlsplit(url).query)["X-Amz-Expires"][0])
        assert expires >= 7200 * 2 + 3600 - 60
    else:
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        assert parts.path == "/media/item9/480p.mp4"
        expected = storage.secure_link_signature(parts.path, int(query["expires"][0]), "test-media-secret")
        assert query["md5"] == [expected]


def test_local_links_match_the_content_links(backend: str) -> None:
    """The local backend signs exactly as flmnchll.content.links, so nginx's config needs no change."""
    if backend != "local":
        pytest.skip("nginx secure links are the local backend's scheme")
    now = 1_700_000_000.0
    ours = storage.media().signed_url("abc/720p.mp4", duration=5400, now=now)
    theirs = links.sign("abc", "720p.mp4", duration=5400, now=now)
    assert ours == theirs
    assert storage.media().signed_url("abc/720p.mp4", now=now, absolute=True) == links.sign(
        "abc", "720p.mp4", now=now, absolute=True)


def test_s3_links_are_checked_by_the_server(backend: str) -> None:
    """A presigned link serves ranges while valid; altered, unsigned or expired, the server refuses it."""
    if backend != "s3":
        pytest.skip("presigned URLs are the S3 backend's scheme")
    media = storage.media()
    media.put_bytes("item3/720p.mp4", b"0123456789" * 100)
    url = media.signed_url("item3/720p.mp4")
    part = requests.get(url, headers={"Range": "bytes=10-19"}, timeout=10)
    assert part.status_code == 206 and part.content == b"0123456789"
    assert requests.get(url.replace("720p.mp4", "1080p.mp4"), timeout=10).status_code == 403
    assert requests.get(url.split("?")[0], timeout=10).status_code == 403

    now = time.time()
    short = media.signed_url("item3/720p.mp4", now=now, expires=int(now - 60))  # already due: shortest lifetime
    time.sleep(2.5)
    assert requests.get(short, timeout=10).status_code == 403


def test_s3_link_lifetime(backend: str) -> None:
    if backend != "s3":
        pytest.skip("presigned URLs are the S3 backend's scheme")
    media = storage.media()

    def lifetime(url: str) -> int:
        return int(parse_qs(urlsplit(url).query)["X-Amz-Expires"][0])

    assert lifetime(media.signed_url("a/b.mp4", duration=30 * 24 * 3600)) == storage.S3_MAX_TTL
    assert 6 * 3600 <= lifetime(media.signed_url("a/b.mp4")) <= 7 * 3600


def test_backend_choice_is_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORAGE_BACKEND", "ftp")
    with pytest.raises(ValueError):
        storage.media()
    monkeypatch.setenv("STORAGE_BACKEND", "s3")
    monkeypatch.delenv("S3_BUCKET", raising=False)
    with pytest.raises(ValueError, match="S3_BUCKET"):
        storage.media()


def test_pipeline_publishes_and_reads_through_the_backend(backend: str, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers publish finished files by key and read sources through the uploads storage, on either backend."""
    from workers import source, workspace

    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    config.settings.cache_clear()
    work = workspace.work_dir("item7", "downscale-1")
    rendition = work / "360p.mp4"
    rendition.write_bytes(b"finished rendition")
    workspace.publish("item7", rendition)
    media = storage.media()
    assert not rendition.exists()
    assert media.list("item7/") == ["item7/360p.mp4"]
    assert media.get_bytes("item7/360p.mp4") == b"finished rendition"
    url = links.sign("item7", "360p.mp4", absolute=True)
    if backend == "s3":
        answer = requests.get(url, timeout=10)
        assert answer.status_code == 200 and answer.content == b"finished rendition"
        assert answer.headers["Content-Type"] == "video/mp4"
    else:
        assert (tmp_path / "media" / "item7" / "360p.mp4").read_bytes() == b"finished rendition"
    workspace.tidy("item7", "downscale-1")

    storage.uploads().put_bytes("abc123", b"source video")
    path = source.local_path({"kind": "upload", "id": "abc123"})
    assert path.read_bytes() == b"source video"
    if backend == "s3":
        bucket_source = {"kind": "s3", "bucket": os.environ["S3_BUCKET"], "key": "uploads/abc123"}
        assert source.local_path(bucket_source).read_bytes() == b"source video"
    else:
        assert path == tmp_path / "uploads" / "abc123"  # read in place, never copied
    with pytest.raises(source.MediaError, match="missing"):
        source.local_path({"kind": "upload", "id": "gone"})


def test_an_upload_in_another_bucket_is_fetched_once_with_the_storage_credentials(
        s3_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Bucket notifications may name an object of any bucket: the worker downloads it with the same endpoint and
    identity as the rest of the S3 code (the server refuses anonymous reads), once."""
    from workers import source

    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("S3_ENDPOINT_URL", s3_endpoint)
    monkeypatch.setenv("S3_ACCESS_KEY", ACCESS_KEY)
    monkeypatch.setenv("S3_SECRET_KEY", SECRET_KEY)
    config.settings.cache_clear()
    client = storage.s3_client()
    bucket = f"camera-drops-{time.monotonic_ns()}"
    client.create_bucket(Bucket=bucket)
    client.put_object(Bucket=bucket, Key="2026/holiday film.mp4", Body=b"a film from elsewhere")
    wanted = {"kind": "s3", "bucket": bucket, "key": "2026/holiday film.mp4"}

    fetched = source.local_path(wanted)
    assert fetched.read_bytes() == b"a film from elsewhere"
    client.delete_object(Bucket=bucket, Key="2026/holiday film.mp4")
    assert source.local_path(wanted) == fetched  # the second job of the item reads the copy it already has
    with pytest.raises(source.MediaError, match="no longer exists"):
        source.local_path({**wanted, "key": "2026/deleted.mp4"})
