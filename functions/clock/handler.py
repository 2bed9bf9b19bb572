"""clock: GET ?t0= or POST {t0?} → {t0?, t1, t2} in epoch ms, for NTP-style offset estimation; no stores, no auth."""

from __future__ import annotations

from typing import Any

from flmnchll.rooms.clock import now_ms, stamps
from flmnchll.web import Request, Router

router = Router("clock", headers={"Cache-Control": "no-store"})


def _answer(t0: float | None, received: float) -> dict[str, float | None]:
    answer = stamps(None if t0 is None else float(t0), received)
    if answer["t0"] is None:
        del answer["t0"]
    return answer


@router.route("GET", "/", operation="clockGet")
def clock_get(request: Request) -> dict[str, Any]:
    received = now_ms()
    return _answer(request.args.get("t0"), received)


@router.route("POST", "/", operation="clockPost")
def clock_post(request: Request) -> dict[str, Any]:
    received = now_ms()
    return _answer(request.json().get("t0"), received)


handle = router.handler()
