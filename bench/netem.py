"""Network impairment in user space, for the browser tests and benchmarks (this machine's kernel has no netem).

Each room member gets a relay of its own between its browser and coturn: a UDP and a TCP listener on one port
that forward to coturn's port, adding the member's access link in each direction (delay, jitter, loss and a
bandwidth cap). The member's WebRTC is forced through TURN (`?ice=relay`) and its TURN URLs point at its relay
(tests/browser/lib/member.mjs rewrites them), so every byte between peers crosses both members' links: A → B
takes A's uplink and B's downlink. The members get the TURN/UDP URL only, the path browsers take when UDP
works: offered both, Chromium was seen to keep only its TURN/TCP candidate on a lossy, jittery link, and a
TURN/TCP path holds every message back for a retransmission on each loss (the relay's TCP side models that;
`turn: 'tcp'` in a member's plan sends it that way, see tests/browser/lib/network.mjs).

A profile describes a member's access link to the server: `rtt_ms` is the round trip (each direction delays by
half of it), `jitter_ms` the ± on that round trip (each direction varies uniformly by ± half of it, packet by
packet; packets leave in the order they came, as through one queue: netem's reordering by jitter is an
artefact that real access links rarely show, and it would blur what the engine does), `loss` the share of
datagrams lost in each direction (on TCP a loss holds the stream back for a retransmission timeout instead),
`rate_bps` the bandwidth each way: packets queue behind each other at that rate, and a datagram that would wait
longer than `queue_s` is dropped (a small router buffer).

The relays stand for the network, which in a real room does not share the members' processors: their thread runs
under the real-time scheduler where the system allows it (root, or CAP_SYS_NICE), so that a packet leaves when
its link lets it out, not when six browsers on two cores leave a core free. How late packets left all the same
is measured (`late_ms` in each link's figures): that much of a message's transit is the relay's, not the link's.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from bench.percentiles import percentile


@dataclass(frozen=True)
class LinkProfile:
    name: str
    rtt_ms: float
    jitter_ms: float = 0.0
    loss: float = 0.0
    rate_bps: float | None = None
    queue_s: float = 0.25

    @property
    def one_way_ms(self) -> float:
        return self.rtt_ms / 2

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "rtt_ms": self.rtt_ms, "jitter_ms": self.jitter_ms, "loss": self.loss,
                "rate_bps": self.rate_bps}


PROFILES: dict[str, LinkProfile] = {
    "lan": LinkProfile("lan", rtt_ms=1.0),
    "broadband": LinkProfile("broadband", rtt_ms=40.0, jitter_ms=5.0, loss=0.001, rate_bps=20e6),
    "mobile": LinkProfile("mobile", rtt_ms=150.0, jitter_ms=40.0, loss=0.02, rate_bps=3e6),
}

# a network: the profiles its members get, in turn
NETWORKS: dict[str, tuple[str, ...]] = {
    "lan": ("lan",),
    "broadband": ("broadband",),
    "mobile": ("mobile",),
    "mixed": ("lan", "broadband", "mobile"),
}


def member_profiles(network: str, members: int) -> list[LinkProfile]:
    """Each member's link on a named network (a mixed one hands its profiles out in turn)."""
    if network not in NETWORKS:
        raise ValueError(f"unknown network {network!r}: one of {', '.join(NETWORKS)}")
    names = NETWORKS[network]
    return [PROFILES[names[i % len(names)]] for i in range(members)]


# ---------------------------------------------------------------------------------------------- the link model

TCP_SEGMENT = 1460


@dataclass
class Direction:
    """One direction of a member's link: when a packet that arrives at `now` (s) leaves it, or None (lost).

    Pure logic on an injected time and random source, so it is tested without sockets.
    """

    profile: LinkProfile
    rng: random.Random = field(default_factory=random.Random)
    busy_until: float = 0.0
    last_out: float = 0.0
    sent: int = 0
    lost: int = 0
    bytes: int = 0

    def _serialise(self, now: float, size: int) -> tuple[float, float]:
        """(start, end) of the packet on the wire behind those queued before it."""
        start = max(now, self.busy_until)
        rate = self.profile.rate_bps
        return start, start + (size * 8 / rate if rate else 0.0)

    def _delay(self) -> float:
        half_jitter = self.profile.jitter_ms / 2000
        jitter = self.rng.uniform(-half_jitter, half_jitter) if half_jitter else 0.0
        return max(0.0, self.profile.one_way_ms / 1000 + jitter)

    def datagram(self, now: float, size: int) -> float | None:
        """A UDP datagram: lost at random, dropped when the queue is full, else delayed, in order."""
        if self.profile.loss and self.rng.random() < self.profile.loss:
            self.lost += 1
            return None
        start, end = self._serialise(now, size)
        if start - now > self.profile.queue_s:
            self.lost += 1
            return None
        self.busy_until = end
        self.sent += 1
        self.bytes += size
        out = max(end + self._delay(), self.last_out)
        self.last_out = out
        return out

    def stream(self, now: float, size: int) -> float:
        """A chunk of a TCP stream: never lost, never reordered; a lost segment costs a retransmission."""
        _, end = self._serialise(now, size)
        self.busy_until = end
        out = end + self._delay()
        segments = max(1, -(-size // TCP_SEGMENT))
        if self.profile.loss and self.rng.random() < 1 - (1 - self.profile.loss) ** segments:
            out += max(0.2, 2 * self.profile.rtt_ms / 1000)
        out = max(out, self.last_out)
        self.last_out = out
        self.sent += 1
        self.bytes += size
        return out


# ---------------------------------------------------------------------------------------------- the relays


def lateness_summary(seconds: Iterable[float]) -> dict[str, float | int]:
    """How many packets, and how late they left (ms): p50, p95, p99 and max."""
    ordered = sorted(seconds)
    if not ordered:
        return {"n": 0}
    return {"n": len(ordered), **{key: round(percentile(ordered, share) * 1000, 2)
                                  for key, share in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99), ("max", 1.0))}}


class Lateness:
    """How long after their moment the relay let packets out (s): the latest 100,000."""

    def __init__(self) -> None:
        self.seconds: deque[float] = deque(maxlen=100_000)

    def note(self, seconds: float) -> None:
        self.seconds.append(max(0.0, seconds))


def prefer_this_thread() -> bool:
    """Put the calling thread under the real-time scheduler (lowest priority: ahead of every ordinary process,
    behind the kernel's own); False where the system refuses."""
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1))
    except (AttributeError, OSError):
        return False
    return True


class _Upstream(asyncio.DatagramProtocol):
    def __init__(self, deliver: Callable[[bytes], None]) -> None:
        self.deliver = deliver
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.deliver(data)


class _UdpRelay(asyncio.DatagramProtocol):
    """Datagrams from each client address go to coturn from a socket of their own (coturn tells clients apart
    by address), through the member's uplink; coturn's answers come back through its downlink."""

    def __init__(self, link: MemberLink) -> None:
        self.link = link
        self.transport: asyncio.DatagramTransport | None = None
        self.upstreams: dict[tuple[str, int], _Upstream] = {}
        self.pending: dict[tuple[str, int], list[bytes]] = {}

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        loop = asyncio.get_running_loop()
        out = self.link.up.datagram(loop.time(), len(data))
        if out is None:
            return
        loop.call_at(out, self._to_server, data, addr, out)

    def _to_server(self, data: bytes, addr: tuple[str, int], due: float) -> None:
        self.link.late.note(asyncio.get_running_loop().time() - due)
        upstream = self.upstreams.get(addr)
        if upstream is not None and upstream.transport is not None:
            upstream.transport.sendto(data)
            return
        if addr in self.pending:
            self.pending[addr].append(data)
            return
        self.pending[addr] = [data]
        asyncio.get_running_loop().create_task(self._open(addr))

    async def _open(self, addr: tuple[str, int]) -> None:
        loop = asyncio.get_running_loop()
        _, upstream = await loop.create_datagram_endpoint(
            lambda: _Upstream(lambda data: self._from_server(data, addr)), remote_addr=self.link.server)
        self.upstreams[addr] = upstream
        for data in self.pending.pop(addr, []):
            upstream.transport.sendto(data)  # type: ignore[union-attr]

    def _from_server(self, data: bytes, addr: tuple[str, int]) -> None:
        loop = asyncio.get_running_loop()
        out = self.link.down.datagram(loop.time(), len(data))
        if out is not None:
            loop.call_at(out, self._to_client, data, addr, out)

    def _to_client(self, data: bytes, addr: tuple[str, int], due: float) -> None:
        self.link.late.note(asyncio.get_running_loop().time() - due)
        if self.transport is not None:
            self.transport.sendto(data, addr)

    def close(self) -> None:
        for upstream in self.upstreams.values():
            if upstream.transport is not None:
                upstream.transport.close()
        if self.transport is not None:
            self.transport.close()


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, direction: Direction,
                late: Lateness) -> None:
    """Copies a stream through one direction of the link: each chunk is written when the link lets it out."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[float, bytes] | None] = asyncio.Queue()

    async def write() -> None:
        while (item := await queue.get()) is not None:
            at, data = item
            await asyncio.sleep(max(0.0, at - loop.time()))
            late.note(loop.time() - at)
            writer.write(data)
            await writer.drain()

    writing = loop.create_task(write())
    try:
        while data := await reader.read(65536):
            queue.put_nowait((direction.stream(loop.time(), len(data)), data))
    finally:
        queue.put_nowait(None)
        with contextlib.suppress(ConnectionError, OSError, asyncio.CancelledError):
            await writing
        writer.close()


@dataclass
class MemberLink:
    """One member's relay: its link profile, both directions and the address it relays to."""

    profile: LinkProfile
    server: tuple[str, int]
    seed: int = 0
    up: Direction = field(init=False)
    down: Direction = field(init=False)
    late: Lateness = field(default_factory=Lateness)
    port: int = 0

    def __post_init__(self) -> None:
        self.up = Direction(self.profile, random.Random(self.seed * 2 + 1))
        self.down = Direction(self.profile, random.Random(self.seed * 2 + 2))

    def figures(self) -> dict[str, Any]:
        return {"profile": self.profile.name, "port": self.port,
                "up": {"packets": self.up.sent, "lost": self.up.lost, "bytes": self.up.bytes},
                "down": {"packets": self.down.sent, "lost": self.down.lost, "bytes": self.down.bytes},
                "late_ms": lateness_summary(self.late.seconds)}


async def _serve(link: MemberLink, host: str) -> tuple[asyncio.AbstractServer, _UdpRelay]:
    """TCP and UDP listeners of one member on one port (TURN URLs name one port for both transports)."""
    loop = asyncio.get_running_loop()

    async def handle(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            server_reader, server_writer = await asyncio.open_connection(*link.server)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(_pump(client_reader, server_writer, link.up, link.late),
                             _pump(server_reader, client_writer, link.down, link.late), return_exceptions=True)

    for _ in range(20):
        server = await asyncio.start_server(handle, host, link.port)
        port = server.sockets[0].getsockname()[1]
        try:
            _, relay = await loop.create_datagram_endpoint(lambda: _UdpRelay(link), local_addr=(host, port))
        except OSError:  # that UDP port is taken: another one
            server.close()
            continue
        link.port = port
        return server, relay
    raise OSError("no port free for both UDP and TCP")


class Relays:
    """Relays for a room's members (one each, on their own ports), run on a thread of their own.

        with Relays([PROFILES["mobile"]] * 4, ("127.0.0.1", turn_port)) as relays:
            relays.ports  # one per member
    """

    def __init__(self, profiles: list[LinkProfile], server: tuple[str, int], host: str = "127.0.0.1",
                 seed: int = 1) -> None:
        self.links = [MemberLink(p, server, seed * 100 + i) for i, p in enumerate(profiles)]
        self.host = host
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, name="netem", daemon=True)
        #: the scheduling the relays' thread got: "real-time" or "shared" (the system refused)
        self.scheduling = "shared"
        self.servers: list[tuple[asyncio.AbstractServer, _UdpRelay]] = []

    @property
    def ports(self) -> list[int]:
        return [link.port for link in self.links]

    def figures(self) -> list[dict[str, Any]]:
        return [link.figures() for link in self.links]

    def lateness(self) -> dict[str, float | int]:
        """How late packets left, over every member's link (ms)."""
        return lateness_summary(x for link in self.links for x in link.late.seconds)

    def plan(self) -> list[dict[str, Any]]:
        """What the browser side needs of each member's network: its profile and its relay's port."""
        return [{**link.profile.as_dict(), "relay_port": link.port} for link in self.links]

    def _run(self) -> None:
        self.scheduling = "real-time" if prefer_this_thread() else "shared"
        self.loop.run_forever()

    def __enter__(self) -> Relays:
        self.thread.start()

        async def serve_all() -> list[tuple[asyncio.AbstractServer, _UdpRelay]]:
            return [await _serve(link, self.host) for link in self.links]

        self.servers = asyncio.run_coroutine_threadsafe(serve_all(), self.loop).result(timeout=10)
        return self

    def __exit__(self, *exc: object) -> None:
        async def close_all() -> None:
            for server, relay in self.servers:
                relay.close()
                server.close()
            # the connections still relayed end here, not when their loop is already closed
            connections = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            for task in connections:
                task.cancel()
            await asyncio.gather(*connections, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(close_all(), self.loop).result(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()
