"""clock: GET/POST {t0?} → {t0, t1, t2} in epoch ms, for NTP-style offset estimation; no stores, no auth."""

from __future__ import annotations

import json
from typing import Any

from flmnchll.rooms.clock import now_ms, stamps

HEADERS = {"Content-Type": "application/json", "Cache-Control": "no-store"}


def _t0(event: Any) -> float | None:
    raw: Any = (getattr(event, "query", None) or {}).get("t0")
    if raw is None and event.body:
        try:
            raw = json.loads(event.body).get("t0")
        except (ValueError, AttributeError):
            raw = None
    try:
        return float(raw) if raw is not None else None
    except (TypeError, ValueError):
        return None


def handle(event: Any, context: Any) -> tuple[str, int, dict[str, str]]:
    received = now_ms()
    if event.method.upper() not in ("GET", "POST", "HEAD"):
        body = {"error": {"code": "method_not_allowed", "message": "Use GET or POST."}}
        return json.dumps(body), 405, {**HEADERS, "Allow": "GET, POST"}
    answer = stamps(_t0(event), received)
    if answer["t0"] is None:
        del answer["t0"]
    return json.dumps(answer), 200, HEADERS
