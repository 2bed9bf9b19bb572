"""coturn as configured by coturn/turnserver.conf.tmpl: REST credentials, no open relay, denied peers.

Each server is rendered into a temporary folder with a random secret and free ports and run in the foreground
(as supervisord runs it); turnutils_uclient plays two clients relaying to each other through it (-y).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
import re
import secrets
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from string import Template

import pytest

from flmnchll.rooms.rooms import MAX_MEMBERS

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "coturn" / "turnserver.conf.tmpl"
LOCAL_OVERRIDE = "allow-loopback-peers\nallowed-peer-ip=127.0.0.1"
RELAY_ADDR = re.compile(r"Received relay addr: 127\.0\.0\.1:(\d+)")


def rest_credentials(secret: str, user_id: str, ttl: int = 600, now: float | None = None) -> tuple[str, str]:
    """coturn's REST scheme: username "EXPIRY:USERID", password base64(HMAC-SHA1(secret, username))."""
    expiry = int(now if now is not None else time.time()) + ttl
    username = f"{expiry}:{user_id}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


def free_port() -> int:
    """A port free for both TCP and UDP on loopback (coturn listens on both)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind(("127.0.0.1", 0))
            port = tcp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    raise RuntimeError("no free port")


def render(run_dir: Path, port: int, relay: tuple[int, int], secret: str, override: str) -> Path:
    text = Template(TEMPLATE.read_text()).substitute(
        TURN_PORT=port, TURN_MIN_PORT=relay[0], TURN_MAX_PORT=relay[1], TURN_SECRET=secret,
        TURN_ALLOW_LOOPBACK=override, RUN_DIR=run_dir)
    conf = run_dir / "turnserver.conf"
    conf.touch(mode=0o600)
    conf.write_text(text)
    return conf


@dataclass
class Turn:
    port: int
    relay: tuple[int, int]
    secret: str
    conf: Path
    process: subprocess.Popen[bytes]
    log: Path

    def uclient(self, username: str, password: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["turnutils_uclient", "-v", "-y", "-c", "-n", "1", "-m", "1", "-p", str(self.port),
             "-u", username, "-w", password, "127.0.0.1"],
            capture_output=True, text=True, timeout=20)


def start_turn(run_dir: Path, override: str) -> Turn:
    run_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    first = random.randrange(40000, 48000)
    relay = (first, first + 49)
    secret = secrets.token_urlsafe(24)
    conf = render(run_dir, port, relay, secret, override)
    log = run_dir / "turnserver.log"
    with log.open("wb") as out:
        process = subprocess.Popen(["turnserver", "-c", str(conf)], stdout=out, stderr=subprocess.STDOUT)
    turn = Turn(port, relay, secret, conf, process, log)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"turnserver exited {process.returncode}:\n{log.read_text()}")
        if (run_dir / "turnserver.pid").exists():
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                return turn
            except OSError:
                pass
        time.sleep(0.05)
    stop_turn(turn)
    raise AssertionError(f"turnserver did not start:\n{log.read_text()}")


def stop_turn(turn: Turn) -> None:
    turn.process.terminate()
    try:
        turn.process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        turn.process.kill()
        turn.process.wait(timeout=5)


@pytest.fixture(scope="module")
def turn_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], Turn]]:
    started: list[Turn] = []

    def make(override: str) -> Turn:
        turn = start_turn(tmp_path_factory.mktemp("turn"), override)
        started.append(turn)
        return turn

    yield make
    for turn in started:
        stop_turn(turn)


@pytest.fixture(scope="module")
def local_turn(turn_factory: Callable[[str], Turn]) -> Turn:
    """The local stack's configuration: loopback peers allowed."""
    return turn_factory(LOCAL_OVERRIDE)


@pytest.fixture(scope="module")
def production_turn(turn_factory: Callable[[str], Turn]) -> Turn:
    """The production posture: no override, so loopback peers fall in the denied ranges."""
    return turn_factory("")


def test_rest_credentials_allocate_a_relay(local_turn: Turn) -> None:
    username, password = rest_credentials(local_turn.secret, "665f1c2ab3e4d5f6a7b8c9d1")
    result = local_turn.uclient(username, password)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    ports = [int(p) for p in RELAY_ADDR.findall(output)]
    assert ports, output
    assert all(local_turn.relay[0] <= p <= local_turn.relay[1] for p in ports), ports
    assert "tot_recv_msgs=" in output and "Forbidden" not in output


@pytest.mark.parametrize("case", ["wrong password", "expired username", "another secret", "another user's password"])
def test_bad_credentials_are_refused(local_turn: Turn, case: str) -> None:
    username, password = rest_credentials(local_turn.secret, "user-1")
    if case == "wrong password":
        password = base64.b64encode(b"0" * 20).decode()
    elif case == "expired username":
        username, password = rest_credentials(local_turn.secret, "user-1", ttl=-5)
    elif case == "another secret":
        username, password = rest_credentials("not-the-secret", "user-1")
    else:
        username = username.replace("user-1", "user-2")
    result = local_turn.uclient(username, password)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Cannot complete Allocation" in output
    assert not RELAY_ADDR.search(output), output


def test_production_posture_denies_loopback_peers(production_turn: Turn) -> None:
    """Credentials still work, but the relay refuses to reach a peer on 127.0.0.1 (403 Forbidden IP)."""
    username, password = rest_credentials(production_turn.secret, "user-1")
    result = production_turn.uclient(username, password)
    output = result.stdout + result.stderr
    assert RELAY_ADDR.search(output), output
    assert "403" in output and "Forbidden IP" in output
    assert result.returncode != 0


def test_rendered_configuration(local_turn: Turn) -> None:
    lines = [line.strip() for line in local_turn.conf.read_text().splitlines()]
    options = [line for line in lines if line and not line.startswith("#")]
    names = {line.split("=", 1)[0] for line in options}
    assert "$" not in "\n".join(options)
    assert {"use-auth-secret", "fingerprint", "no-cli", "no-tls", "no-dtls", "no-multicast-peers"} <= names
    assert not names & {"no-auth", "lt-cred-mech", "user", "web-admin"}
    assert [line for line in options if line.startswith("listening-ip=")] == ["listening-ip=127.0.0.1"]
    assert "realm=flmnchll" in options
    assert "denied-peer-ip=169.254.0.0-169.254.255.255" in options
    assert local_turn.conf.stat().st_mode & 0o077 == 0
    assert local_turn.secret not in local_turn.log.read_text()


def test_every_member_of_the_largest_room_can_relay_data_and_voice(local_turn: Turn) -> None:
    """A member behind a NAT needs a relay per TURN transport for each other member's data connection and
    voice call: the per-user quota must hold that in a full room, or voice silently fails to connect."""
    options = dict(line.split("=", 1) for line in local_turn.conf.read_text().splitlines()
                   if "=" in line and not line.startswith("#"))
    transports, connections_per_peer = 2, 2  # UDP and TCP URLs; data and voice
    needed = transports * connections_per_peer * (MAX_MEMBERS - 1)
    assert int(options["user-quota"]) >= needed
    assert int(options["total-quota"]) >= 10 * needed  # ten full rooms at once
