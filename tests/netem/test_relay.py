"""The impairment relay of the network tests and benchmarks (bench/netem.py): the link model on an injected clock,
then the real relay on loopback, measured from outside: delay, jitter, loss and bandwidth within tolerance."""

from __future__ import annotations

import os
import random
import socket
import statistics
import threading
import time
from collections.abc import Iterator

import pytest

from bench.netem import PROFILES, Direction, LinkProfile, Relays, member_profiles

# ---------------------------------------------------------------------------------------- the model, pure


def test_a_datagram_leaves_after_half_the_round_trip_plus_jitter() -> None:
    link = Direction(LinkProfile("t", rtt_ms=100, jitter_ms=20), random.Random(1))
    delays = [link.datagram(10.0 + i, 100) - (10.0 + i) for i in range(2000)]  # type: ignore[operator]
    assert min(delays) >= 0.040 - 1e-9 and max(delays) <= 0.060 + 1e-9
    assert statistics.mean(delays) == pytest.approx(0.050, abs=0.001)
    assert statistics.pstdev(delays) > 0.005  # spread over the whole ± range, not a constant


def test_datagrams_leave_in_the_order_they_came_whatever_their_jitter() -> None:
    link = Direction(LinkProfile("t", rtt_ms=100, jitter_ms=40), random.Random(5))
    outs = [link.datagram(i * 0.001, 100) for i in range(1000)]
    assert outs == sorted(outs)  # type: ignore[type-var]


def test_datagrams_are_lost_at_the_profile_rate() -> None:
    link = Direction(LinkProfile("t", rtt_ms=2, loss=0.02), random.Random(2))
    outcomes = [link.datagram(float(i), 100) for i in range(20_000)]
    lost = sum(o is None for o in outcomes) / len(outcomes)
    assert lost == pytest.approx(0.02, abs=0.004)
    assert link.lost == sum(o is None for o in outcomes)


def test_the_rate_cap_queues_packets_and_a_full_queue_drops() -> None:
    link = Direction(LinkProfile("t", rtt_ms=0, rate_bps=1_000_000, queue_s=0.1), random.Random(3))
    # 1000-byte packets all at once: each takes 8 ms on a 1 Mb/s wire
    outs = [link.datagram(0.0, 1000) for _ in range(20)]
    sent = [o for o in outs if o is not None]
    assert sent[:3] == pytest.approx([0.008, 0.016, 0.024])
    # a packet that would wait more than 100 ms is dropped; the queue holds 13 (12 waiting ≤ 96 ms, one on the wire)
    assert len(sent) == 13 and outs[13] is None
    # later, the queue has drained
    assert link.datagram(1.0, 1000) == pytest.approx(1.008)


def test_a_stream_stays_in_order_and_pays_for_a_loss_with_a_retransmission() -> None:
    link = Direction(LinkProfile("t", rtt_ms=100, jitter_ms=40, loss=0.05), random.Random(4))
    outs = [link.stream(i * 0.001, 500) for i in range(2000)]
    assert outs == sorted(outs)
    late = [o - i * 0.001 for i, o in enumerate(outs)]
    assert min(late) >= 0.030
    assert max(late) >= 0.2  # some chunk waited for a retransmission


def test_mixed_networks_hand_out_their_profiles_in_turn() -> None:
    names = [p.name for p in member_profiles("mixed", 6)]
    assert names == ["lan", "broadband", "mobile", "lan", "broadband", "mobile"]
    assert {p.name for p in member_profiles("mobile", 3)} == {"mobile"}
    with pytest.raises(ValueError, match="unknown network"):
        member_profiles("dialup", 2)


# ---------------------------------------------------------------------------------------- the relay, on loopback


@pytest.fixture
def udp_echo() -> Iterator[int]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.2)
    running = True

    def serve() -> None:
        while running:
            try:
                data, addr = sock.recvfrom(65536)
            except TimeoutError:
                continue
            sock.sendto(data, addr)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield sock.getsockname()[1]
    running = False
    thread.join()
    sock.close()


@pytest.fixture
def tcp_echo() -> Iterator[int]:
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    running = True

    def serve() -> None:
        while running:
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(0.2)  # the relay may keep its side open: never block the fixture's end
                while running:
                    try:
                        data = conn.recv(65536)
                    except TimeoutError:
                        continue
                    if not data:
                        break
                    conn.sendall(data)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    running = False
    thread.join(timeout=5)
    server.close()


def udp_round_trips(port: int, count: int, gap: float = 0.005, size: int = 200) -> list[float | None]:
    """Round trips (s) of numbered datagrams through the relay; None for those that never came back."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(0.05)
    sent: dict[int, float] = {}
    back: dict[int, float] = {}
    done = threading.Event()

    def receive() -> None:
        while not done.is_set():
            try:
                data, _ = sock.recvfrom(65536)
            except TimeoutError:
                continue
            back[int.from_bytes(data[:4], "big")] = time.monotonic()

    receiver = threading.Thread(target=receive, daemon=True)
    receiver.start()
    for i in range(count):
        sent[i] = time.monotonic()
        sock.sendto(i.to_bytes(4, "big") + bytes(size - 4), ("127.0.0.1", port))
        time.sleep(gap)
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline and len(back) < count:
        time.sleep(0.02)
    done.set()
    receiver.join()
    sock.close()
    return [back[i] - sent[i] if i in back else None for i in range(count)]


def test_the_relay_delays_each_direction_by_the_profile(udp_echo: int) -> None:
    profile = LinkProfile("t", rtt_ms=80, jitter_ms=20)
    with Relays([profile], ("127.0.0.1", udp_echo)) as relays:
        rtts = [r for r in udp_round_trips(relays.ports[0], 150, gap=0.01) if r is not None]
        late = relays.lateness()
        scheduling = relays.scheduling
    assert len(rtts) == 150
    # every datagram's way up and way back is timed against its moment; an idle relay keeps it
    assert late["n"] == 2 * 150 and late["p50"] <= 5.0, late
    if os.geteuid() == 0:  # the network does not wait for a free core
        assert scheduling == "real-time"
    # through the relay twice (up and down): 80 ms ± 20 ms (± 10 ms each way), plus loopback and scheduling
    assert statistics.median(rtts) == pytest.approx(0.080, abs=0.010)
    assert min(rtts) >= 0.059
    assert sorted(rtts)[int(len(rtts) * 0.9)] <= 0.110  # (a busy machine may hold back a few)
    assert statistics.pstdev(rtts) > 0.003


def test_the_relay_loses_datagrams_at_the_profile_rate(udp_echo: int) -> None:
    profile = LinkProfile("t", rtt_ms=2, loss=0.1)
    with Relays([profile], ("127.0.0.1", udp_echo)) as relays:
        results = udp_round_trips(relays.ports[0], 600, gap=0.001)
        figures = relays.figures()[0]
    lost = sum(r is None for r in results) / len(results)
    # lost on the way up or on the way back: 1 − 0.9² = 19 %
    assert lost == pytest.approx(0.19, abs=0.05)
    assert figures["up"]["lost"] + figures["down"]["lost"] == sum(r is None for r in results)


def test_the_relay_caps_the_bandwidth_of_a_tcp_stream(tcp_echo: int) -> None:
    profile = LinkProfile("t", rtt_ms=10, rate_bps=2_000_000)
    payload = bytes(250_000)  # 2 Mb: about a second each way at 2 Mb/s, the two directions overlapping
    with Relays([profile], ("127.0.0.1", tcp_echo)) as relays:
        started = time.monotonic()
        with socket.create_connection(("127.0.0.1", relays.ports[0])) as conn:
            reading: list[bytes] = []
            reader = threading.Thread(target=lambda: _read_all(conn, len(payload), reading))
            reader.start()
            conn.sendall(payload)
            reader.join(timeout=10)
        took = time.monotonic() - started
    assert sum(map(len, reading)) == len(payload)
    assert b"".join(reading) == payload
    assert 0.95 <= took <= 1.6, f"{len(payload) * 8 / 1e6:.0f} Mb at 2 Mb/s took {took:.2f} s"


def _read_all(conn: socket.socket, size: int, into: list[bytes]) -> None:
    got = 0
    while got < size:
        data = conn.recv(65536)
        if not data:
            return
        into.append(data)
        got += len(data)


def test_each_member_has_its_own_port_and_profile(udp_echo: int) -> None:
    with Relays([PROFILES["lan"], PROFILES["broadband"]], ("127.0.0.1", udp_echo)) as relays:
        lan, broadband = relays.ports
        assert lan != broadband
        fast = [r for r in udp_round_trips(lan, 20, gap=0.01) if r is not None]
        slow = [r for r in udp_round_trips(broadband, 20, gap=0.01) if r is not None]
        plan = relays.plan()
    assert statistics.median(fast) < 0.010
    assert statistics.median(slow) == pytest.approx(0.040, abs=0.010)
    assert [p["name"] for p in plan] == ["lan", "broadband"] and [p["relay_port"] for p in plan] == [lan, broadband]
