"""Server timestamps for NTP-style clock-offset estimation by browsers.

The browser sends `t0` (its send time), we answer `t1` (receive) and `t2` (send) in epoch milliseconds; with
its own receive time `t3` it estimates offset = ((t1 - t0) + (t2 - t3)) / 2 and keeps the sample with the
smallest round trip. Nothing here touches a store, so the answer stays fast and its jitter low.
"""

from __future__ import annotations

import time


def now_ms() -> float:
    """Epoch milliseconds with sub-millisecond precision."""
    return time.time_ns() / 1_000_000


def stamps(t0: float | None, received_ms: float) -> dict[str, float | None]:
    """The clock answer: the client's `t0` echoed, our receive time `t1`, our send time `t2` (taken last)."""
    return {"t0": t0, "t1": received_ms, "t2": now_ms()}
