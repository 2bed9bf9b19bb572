"""The PeerJS pool as the rest of the system sees it.

peer/'s own node tests (`npm test`, run by scripts/test.sh) cover the token rules and signalling in depth. Here:
tokens signed in Python (as join-room signs them) are accepted by a real `node peer/server.js` process, and,
on the test stack, every pool member is healthy, is reachable through the front door, and comes back after
being killed (supervisord restarts it) while the other members keep their peers.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import requests

REPO = Path(__file__).resolve().parents[2]
SERVER = REPO / "peer" / "server.js"
VECTORS = json.loads((REPO / "peer" / "test" / "token-vectors.json").read_text())
KEY = "flmnchll"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def peer_token(secret: str, room: str, peer: str, user: str, exp: int) -> str:
    """The byte-level format the server checks (see peer/token.js and peer/test/token-vectors.json)."""
    part1 = b64url(json.dumps({"room": room, "peer": peer, "user": user, "exp": exp}, separators=(",", ":")).encode())
    signature = hmac.new(secret.encode(), part1.encode("ascii"), hashlib.sha256).digest()
    return f"{part1}.{b64url(signature)}"


class WebSocket:
    """Just enough of RFC 6455 for PeerJS signalling: small text frames, masked from the client."""

    def __init__(self, port: int, path: str, timeout: float = 5.0) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                break
            head += chunk
        head, _, self.buffer = head.partition(b"\r\n\r\n")
        self.status = int(head.split(b" ", 2)[1]) if head else 0
        self.close_code: int | None = None

    def _read(self, n: int) -> bytes:
        while len(self.buffer) < n:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("closed without a close frame")
            self.buffer += chunk
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def receive(self) -> dict[str, Any] | None:
        """The next JSON message, or None once the server closed (close_code then holds its code)."""
        while True:
            first, second = self._read(2)
            length = second & 0x7F
            if length == 126:
                length = int.from_bytes(self._read(2), "big")
            elif length == 127:
                length = int.from_bytes(self._read(8), "big")
            payload = self._read(length)
            opcode = first & 0x0F
            if opcode == 0x8:
                self.close_code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
                return None
            if opcode == 0x1:
                return json.loads(payload)

    def send(self, message: dict[str, Any]) -> None:
        payload = json.dumps(message).encode()
        mask = os.urandom(4)
        n = len(payload)
        header = bytes([0x81, 0x80 | n]) if n < 126 else bytes([0x81, 0x80 | 126]) + n.to_bytes(2, "big")
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def close(self) -> None:
        self.sock.close()


def connect(port: int, peer_id: str, token: str | None, base: str = "/peerjs") -> WebSocket:
    query = {"key": KEY, "id": peer_id, **({"token": token} if token is not None else {}), "version": "1.5.4"}
    return WebSocket(port, f"{base}/peerjs?{urlencode(query)}")


def health(port: int) -> dict[str, Any]:
    response = requests.get(f"http://127.0.0.1:{port}/health", timeout=5)
    assert response.status_code == 200
    return response.json()


def relays(a: WebSocket, a_id: str, b: WebSocket, b_id: str) -> None:
    """a offers to b; b receives the OFFER with a's id as its source."""
    a.send({"type": "OFFER", "dst": b_id, "payload": {"connectionId": "dc_test", "type": "data"}})
    message = b.receive()
    assert message is not None
    assert (message["type"], message["src"], message["payload"]["connectionId"]) == ("OFFER", a_id, "dc_test")


# --- one server process, tokens signed here ----------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, str]]:
    secrets_dir = tmp_path_factory.mktemp("secrets")
    secret = base64.b64encode(os.urandom(24)).decode()
    (secrets_dir / "peer-token-key").write_text(secret + "\n")
    env = {"PATH": os.environ["PATH"], "SECRETS_DIR": str(secrets_dir)}
    process = subprocess.Popen(["node", str(SERVER), "--port", "0"], env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        port = None
        deadline = time.monotonic() + 10
        while port is None and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            record = json.loads(line)
            if record["event"] == "listening":
                port = int(record["port"])
        assert port, "peer server did not start"
        yield port, secret
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0


def test_python_signed_tokens_connect_and_relay(server: tuple[int, str]) -> None:
    port, secret = server
    exp = int(time.time()) + 60
    a = connect(port, "py-u1-a", peer_token(secret, "py", "py-u1-a", "u1", exp))
    b = connect(port, "py-u2-b", peer_token(secret, "py", "py-u2-b", "u2", exp))
    try:
        assert (a.status, b.status) == (101, 101)
        assert a.receive() == {"type": "OPEN"} and b.receive() == {"type": "OPEN"}
        assert health(port) == {"ok": True, "peers": 2, "rooms": 1, "port": port}
        relays(a, "py-u1-a", b, "py-u2-b")
    finally:
        a.close()
        b.close()


@pytest.mark.parametrize("case", ["no token", "expired", "other secret", "other peer"])
def test_refused(server: tuple[int, str], case: str) -> None:
    port, secret = server
    exp = int(time.time()) + 60
    token = {
        "no token": None,
        "expired": peer_token(secret, "py", "py-u3-c", "u3", int(time.time()) - 1),
        "other secret": peer_token("not-" + secret, "py", "py-u3-c", "u3", exp),
        "other peer": peer_token(secret, "py", "py-u4-d", "u4", exp),
    }[case]
    ws = connect(port, "py-u3-c", token)
    try:
        message = ws.receive()
        assert message is not None and message["type"] == "ERROR", message
        assert ws.receive() is None and ws.close_code == 1008
    finally:
        ws.close()


def test_vectors_match_this_signer() -> None:
    vector = VECTORS["valid"][0]
    payload = vector["payload"]
    assert peer_token(VECTORS["secret"], payload["room"], payload["peer"], payload["user"], payload["exp"]) == (
        vector["token"])


# --- the pool on the test stack ----------------------------------------------------------------------------


def test_pool_members_are_healthy_and_reachable_through_the_front_door(stack: Any) -> None:
    instance = stack.instance
    secret = stack.secret("peer-token-key")
    exp = int(time.time()) + 60
    for port in instance.peer_ports:
        assert health(port)["ok"] is True
        room = f"front{port}"
        a_id, b_id = f"{room}-u1-a", f"{room}-u2-b"
        front = instance.ports["front"]
        a = connect(front, a_id, peer_token(secret, room, a_id, "u1", exp), base=f"/peerjs/{port}")
        b = connect(front, b_id, peer_token(secret, room, b_id, "u2", exp), base=f"/peerjs/{port}")
        try:
            assert a.receive() == {"type": "OPEN"} and b.receive() == {"type": "OPEN"}
            relays(a, a_id, b, b_id)
        finally:
            a.close()
            b.close()
        refused = connect(front, "x-u-1", None, base=f"/peerjs/{port}")
        message = refused.receive()
        refused.close()
        assert message is not None and message["type"] == "ERROR"


def test_a_killed_member_comes_back_and_the_others_keep_their_peers(stack: Any) -> None:
    instance = stack.instance
    if len(instance.peer_ports) < 2:
        pytest.skip("needs a pool of two")
    secret = stack.secret("peer-token-key")
    exp = int(time.time()) + 120
    survivor_port, victim_port = instance.peer_ports[1], instance.peer_ports[0]
    a = connect(survivor_port, "kill-u1-a", peer_token(secret, "kill", "kill-u1-a", "u1", exp))
    b = connect(survivor_port, "kill-u2-b", peer_token(secret, "kill", "kill-u2-b", "u2", exp))
    try:
        assert a.receive() == {"type": "OPEN"} and b.receive() == {"type": "OPEN"}
        old_pid = stack.component_pid("peer-0")
        os.kill(old_pid, signal.SIGKILL)

        def back() -> bool:
            try:
                return stack.component_pid("peer-0") not in (0, old_pid) and health(victim_port)["ok"] is True
            except (requests.RequestException, OSError):
                return False

        stack.wait_until(back, timeout=30)
        c = connect(victim_port, "kill-u3-c", peer_token(secret, "kill2", "kill-u3-c", "u3", exp))
        try:
            assert c.receive() == {"type": "OPEN"}
        finally:
            c.close()
        relays(a, "kill-u1-a", b, "kill-u2-b")
    finally:
        a.close()
        b.close()
