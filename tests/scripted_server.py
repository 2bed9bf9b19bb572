"""Loopback HTTP servers whose answers a test scripts: what services our code calls do when they restart, refuse,
drop connections or answer slowly."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class ScriptedServer:
    """Answers the n-th POST with `script[n]` (the last entry repeats): a status, with `{"status": N}` as its
    JSON body, or None to drop the connection unanswered. Every POST is kept in `received`."""

    def __init__(self, script: list[int | None]) -> None:
        self.script = script
        self.received: list[Received] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.received.append(Received(self.path, dict(self.headers), body))
                status = outer.script[min(len(outer.received), len(outer.script)) - 1]
                if status is None:
                    self.close_connection = True
                    return
                answer_json(self, status, {"status": status})

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self) -> None:
        """Stop answering: connections are refused from now on."""
        self.server.shutdown()
        self.server.server_close()


def answer_json(handler: BaseHTTPRequestHandler, status: int, payload: Any) -> None:
    """Answers the handler's request with `payload` as JSON."""
    body = json.dumps(payload).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


class SlowHealthServer:
    """A signalling server's health endpoint on `port` that answers after `delay` s, as a live server under load
    does; `close` makes the port refuse, as a server that is down does."""

    def __init__(self, port: int, delay: float) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                time.sleep(delay)
                answer_json(self, 200, {"ok": True, "peers": 0, "rooms": 0, "port": port})

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.open = True
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self) -> None:
        if self.open:
            self.open = False
            self.server.shutdown()
            self.server.server_close()
