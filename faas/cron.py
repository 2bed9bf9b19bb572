"""The cron connector: invokes functions annotated `topic: cron-function` on their `schedule`.

Run as `python -m faas.cron`. Like OpenFaaS's cron-connector it reads the deployed functions from the
gateway (every FAAS_CRON_REFRESH seconds) and calls `/function/NAME` with POST when a schedule fires.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import requests
from croniter import croniter

from faas.secrets import read_secret
from faas.settings import Settings
from faas.spec import parse_duration

log = logging.getLogger("faas.cron")

TOPIC = "cron-function"


@dataclass
class Entry:
    schedule: str
    next_run: float


def cron_functions(functions: list[dict]) -> dict[str, str]:
    """Name → schedule of the functions subscribed to the cron topic."""
    found: dict[str, str] = {}
    for item in functions:
        annotations = item.get("annotations") or {}
        topics = [t.strip() for t in annotations.get("topic", "").split(",")]
        schedule = annotations.get("schedule", "").strip()
        if TOPIC in topics and schedule:
            found[item["name"]] = schedule
    return found


def next_time(schedule: str, after: float) -> float:
    """The next firing after `after` (epoch seconds): a cron expression (5 fields, or 6 with seconds last),
    or `@every DURATION` like cron-connector's `@every 30s`."""
    if schedule.startswith("@every "):
        interval = parse_duration(schedule[len("@every "):])
        if interval <= 0:
            raise ValueError("@every needs a positive duration")
        return after + interval
    return croniter(schedule, datetime.fromtimestamp(after, UTC)).get_next(float)


class Connector:
    """Keeps the schedule table and fires invocations on time."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.session = requests.Session()
        self.entries: dict[str, Entry] = {}

    def _auth(self) -> tuple[str, str] | None:
        password = read_secret(self.settings.secrets_dir, "basic-auth-password")
        return ("admin", password) if password else None

    def refresh(self, now: float) -> None:
        response = self.session.get(f"{self.settings.gateway_url}/system/functions", auth=self._auth(), timeout=10)
        response.raise_for_status()
        wanted = cron_functions(response.json())
        for name in set(self.entries) - set(wanted):
            log.info("%s: no longer scheduled", name)
            del self.entries[name]
        for name, schedule in wanted.items():
            entry = self.entries.get(name)
            if entry is not None and entry.schedule == schedule:
                continue
            try:
                self.entries[name] = Entry(schedule, next_time(schedule, now))
                log.info("%s: scheduled %r", name, schedule)
            except (ValueError, KeyError) as exc:
                log.error("%s: invalid schedule %r: %s", name, schedule, exc)
                self.entries.pop(name, None)

    def fire_due(self, now: float) -> list[str]:
        fired = []
        for name, entry in self.entries.items():
            if entry.next_run <= now:
                entry.next_run = next_time(entry.schedule, now)
                threading.Thread(target=self.invoke, args=(name,), daemon=True).start()
                fired.append(name)
        return fired

    def invoke(self, name: str) -> None:
        started = time.perf_counter()
        try:
            response = self.session.post(
                f"{self.settings.gateway_url}/function/{name}",
                data=b"",
                headers={"X-Connector": "cron-connector", "X-Topic": TOPIC},
                timeout=self.settings.default_timeout + 30,
            )
            log.info("%s: invoked, %s in %.3fs", name, response.status_code, time.perf_counter() - started)
        except requests.RequestException as exc:
            log.error("%s: invocation failed: %s", name, exc)

    def run(self, stop: threading.Event | None = None) -> None:
        stop = stop or threading.Event()
        last_refresh = 0.0
        while not stop.is_set():
            now = time.time()
            if now - last_refresh >= self.settings.cron_refresh:
                try:
                    self.refresh(now)
                    last_refresh = now
                except (requests.RequestException, ValueError) as exc:
                    log.warning("cannot read functions from the gateway: %s", exc)
                    last_refresh = now - self.settings.cron_refresh + 1.0
            self.fire_due(now)
            upcoming = min((e.next_run for e in self.entries.values()), default=now + 1.0)
            stop.wait(max(0.05, min(1.0, upcoming - time.time())))


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    Connector(Settings.from_env()).run()


if __name__ == "__main__":
    main()
