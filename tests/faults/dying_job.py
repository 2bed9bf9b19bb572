"""A job that kills the worker running it, on every attempt: a video whose processing keeps crashing its worker."""

from __future__ import annotations

import os
import signal
import time
from typing import Any


def kill_my_worker(task: dict[str, Any]) -> None:
    os.kill(os.getppid(), signal.SIGKILL)  # the work horse's parent is the worker
    time.sleep(60)  # the horse dies with its worker
