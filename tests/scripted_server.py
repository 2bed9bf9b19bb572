"""A loopback HTTP server whose answers a test scripts: what services our code calls do when they restart,
refuse or drop connections."""

from __future__ import annotations

import json
import threading
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
                answer = json.dumps({"status": status}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self) -> None:
        """Stop answering: connections are refused from now on."""
        self.server.shutdown()
        self.server.server_close()
