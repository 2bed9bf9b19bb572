"""A TCP proxy that makes a store slow: every byte the store sends arrives `delay` seconds late.

It listens on a free loopback port and forwards to the store's; the delay can change while connections are
open (a store that becomes slow, then recovers). Requests pass at once, answers wait: what a client sees of
an overloaded server or a congested link.
"""

from __future__ import annotations

import contextlib
import queue
import socket
import threading
import time
from typing import Any

CHUNK = 65536


class SlowProxy:
    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.delay = 0.0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._sockets: list[socket.socket] = []
        self._closed = threading.Event()

    def __enter__(self) -> SlowProxy:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._closed.set()
        self._listener.close()
        for sock in list(self._sockets):
            with contextlib.suppress(OSError):
                sock.close()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            self._sockets += [client, server]
            threading.Thread(target=self._pump, args=(client, server, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, True), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket, late: bool) -> None:
        """Copy `source` to `target`; when `late`, each chunk is sent `delay` seconds after it arrived."""
        chunks: queue.Queue[tuple[float, bytes]] = queue.Queue()
        if late:
            threading.Thread(target=self._deliver, args=(chunks, target), daemon=True).start()
        try:
            while data := source.recv(CHUNK):
                if late:
                    chunks.put((time.monotonic() + self.delay, data))
                else:
                    target.sendall(data)
        except OSError:
            pass
        chunks.put((0.0, b""))
        if not late:
            _close(target)

    def _deliver(self, chunks: queue.Queue[tuple[float, bytes]], target: socket.socket) -> None:
        while True:
            due, data = chunks.get()
            if not data:
                break
            self._closed.wait(max(0.0, due - time.monotonic()))
            try:
                target.sendall(data)
            except OSError:
                break
        _close(target)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()
