"""The async worker: an RQ worker (with its scheduler) on the `faas-async` queue.

Run as `python -m faas.async_worker`.
"""

from __future__ import annotations

import logging

from rq import Worker

from faas.async_calls import QUEUE, redis_connection
from faas.settings import Settings


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    settings = Settings.from_env()
    worker = Worker([QUEUE], connection=redis_connection(settings), name=None)
    worker.work(with_scheduler=True, logging_level="INFO")


if __name__ == "__main__":
    main()
