"""Which PeerJS server of the pool a room uses, and how a browser reaches it.

Servers answer `GET /health` with `{"ok", "peers", "rooms"}`. A new room goes to the live server with the fewest
rooms (live rooms recorded in MongoDB break ties, since rooms just created have nobody connected yet). A room
whose server stops answering (asked twice, see CONFIRM_TIMEOUT_SECONDS) is moved to a live one on the next join;
the room's state names its server (`index_of`), so members still on the old one follow on their next heartbeat.
Probe results are cached for a moment so a burst of joins does not turn into a burst of probes.
"""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlparse

import requests

from flmnchll.config import settings
from flmnchll.stores import db

PROBE_TIMEOUT_SECONDS = 0.5
#: A room's server that does not answer within PROBE_TIMEOUT_SECONDS is asked once more, this long, before the room
#: moves: a live server can be that slow while a whole room joins at once, and a room moved then is split between
#: two servers whose members never meet. A server that is down refuses at once, so this costs a dead one nothing.
CONFIRM_TIMEOUT_SECONDS = 2.0
CACHE_SECONDS = 2.0

_cache: dict[int, tuple[float, Health]] = {}
_cache_lock = threading.Lock()
_session = requests.Session()


@dataclass(frozen=True)
class Health:
    port: int
    alive: bool
    peers: int = 0
    rooms: int = 0


def pool_ports() -> list[int]:
    cfg = settings()
    return [cfg.peer_port + index for index in range(max(1, cfg.peer_pool_size))]


def _probe(port: int, timeout: float = PROBE_TIMEOUT_SECONDS) -> Health:
    url = f"http://{settings().peer_host}:{port}/health"
    try:
        answer = _session.get(url, timeout=timeout)
        data = answer.json() if answer.ok else {}
    except (requests.RequestException, ValueError):
        return Health(port, False)
    if not isinstance(data, dict) or not data.get("ok"):
        return Health(port, False)
    return Health(port, True, int(data.get("peers") or 0), int(data.get("rooms") or 0))


def health(port: int, *, fresh: bool = False) -> Health:
    now = time.monotonic()
    with _cache_lock:
        cached = _cache.get(port)
    if cached and not fresh and now - cached[0] < CACHE_SECONDS:
        return cached[1]
    result = _probe(port)
    with _cache_lock:
        _cache[port] = (time.monotonic(), result)
    return result


def pool_health(fresh: bool = False) -> list[Health]:
    ports = pool_ports()
    with ThreadPoolExecutor(max_workers=len(ports)) as pool:
        return list(pool.map(lambda port: health(port, fresh=fresh), ports))


def assigned_counts() -> dict[int, int]:
    """Live rooms per server port, as recorded on the rooms."""
    counts: dict[int, int] = {}
    now = datetime.now(UTC)
    for room in db().rooms.find({"expires_at": {"$gt": now}}, {"peer_port": 1}):
        port = room.get("peer_port")
        if isinstance(port, int):
            counts[port] = counts.get(port, 0) + 1
    return counts


def choose_server(exclude: int | None = None) -> int:
    """The port of the least-loaded live server; with none answering, the least-assigned one."""
    states = [h for h in pool_health(fresh=True) if h.port != exclude] or pool_health()
    live = [h for h in states if h.alive] or states
    counts = assigned_counts()
    best = min(live, key=lambda h: (h.rooms, counts.get(h.port, 0), h.peers, h.port))
    return best.port


def server_is_alive(port: int, *, fresh: bool = False) -> bool:
    """The room's server answers, if need be slowly (see CONFIRM_TIMEOUT_SECONDS)."""
    if port not in pool_ports():
        return False
    if health(port, fresh=fresh).alive:
        return True
    confirmed = _probe(port, CONFIRM_TIMEOUT_SECONDS)
    with _cache_lock:
        _cache[port] = (time.monotonic(), confirmed)
    return confirmed.alive


def forget(port: int) -> None:
    """Drop a cached probe (after a failure seen elsewhere)."""
    with _cache_lock:
        _cache.pop(port, None)


def index_of(port: int) -> int:
    """The server's place in the pool: what a room's state names, so its members can tell it moved."""
    return port - settings().peer_port


def public_config(port: int) -> dict:
    """Where the browser's PeerJS client connects: the front door, which proxies `/peerjs/<port>/` to the server.

    The client appends `peerjs?key=..&id=..&token=..` to `path`, so the server sees `/peerjs/peerjs`.
    """
    cfg = settings()
    public = urlparse(os.environ.get("PEER_PUBLIC_URL") or cfg.public_url)
    secure = public.scheme == "https"
    return {
        "host": public.hostname or "127.0.0.1",
        "port": public.port or (443 if secure else 80),
        "path": f"{cfg.peer_path.rstrip('/')}/{port}",
        "key": cfg.peer_key,
        "secure": secure,
        "server": {"port": port, "index": index_of(port)},
    }
