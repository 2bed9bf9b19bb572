"""Running ffmpeg so that it never outlives the job that started it.

ffmpeg runs in its own session (so its process group can be killed as a whole, filters and all) and asks the
kernel to SIGKILL it when its parent dies (`PR_SET_PDEATHSIG`), which covers the one case no `finally` can:
the worker being SIGKILLed. A watchdog kills the group when the job's time is up; any exception in the
caller (RQ's job timeout arrives as one) kills it too.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable

from flmnchll.media import ffmpeg, graph
from flmnchll.media.errors import EncodeError
from flmnchll.media.progress import ProgressParser

PR_SET_PDEATHSIG = 1
#: every run: no banner, nothing read from the terminal, errors only, and progress as `key=value` on stdout
RUN_OPTIONS = ("-hide_banner", "-nostdin", "-loglevel", "error", "-nostats", "-progress", "pipe:1")
ProgressCallback = Callable[[float], None]

_libc: ctypes.CDLL | None = None


def die_with_parent(sig: int = signal.SIGKILL) -> None:
    """Ask the kernel to send `sig` to this process when its parent exits (Linux only; a no-op elsewhere)."""
    global _libc
    try:
        if _libc is None:
            _libc = ctypes.CDLL(None, use_errno=True)
        _libc.prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _child_setup(niceness: int) -> None:
    die_with_parent()
    if niceness:
        os.nice(niceness)
    # A new session is also a new scheduler autogroup (Linux), and autogroups share the CPU equally whatever
    # the nice values inside them; giving the group this process's nice value makes priorities count again.
    with contextlib.suppress(OSError), open("/proc/self/autogroup", "w") as autogroup:
        autogroup.write(str(os.nice(0)))


def kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def run_ffmpeg(command: graph.Command, *, duration: float, timeout: float,
               on_progress: ProgressCallback | None = None, report_every: float = 1.0, niceness: int = 0,
               program: str | None = None) -> None:
    """Run `command` to completion, reporting percent done; raise `EncodeError` on failure or timeout.

    `niceness` lowers ffmpeg's CPU priority. `program` is the pinned ffmpeg (`flmnchll.media.ffmpeg`) unless
    given (the benchmark's naive baseline runs the distribution's).
    """
    argv = command.argv(program or ffmpeg.binary(), RUN_OPTIONS, overwrite=True)
    process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True,
                               preexec_fn=lambda: _child_setup(niceness))
    stderr_tail: deque[str] = deque(maxlen=30)
    reader = threading.Thread(target=lambda: stderr_tail.extend(process.stderr or ()), daemon=True)
    reader.start()
    timed_out = threading.Event()

    def expire() -> None:
        timed_out.set()
        kill_group(process.pid)

    watchdog = threading.Timer(timeout, expire)
    watchdog.daemon = True
    watchdog.start()
    parser = ProgressParser(duration)
    last_report = 0.0
    try:
        for line in process.stdout or ():
            if parser.feed(line) and on_progress is not None:
                now = time.monotonic()
                if parser.finished or now - last_report >= report_every:
                    last_report = now
                    on_progress(parser.percent)
        returncode = process.wait()
    finally:
        watchdog.cancel()
        if process.poll() is None:
            kill_group(process.pid)
            process.wait()
    reader.join(timeout=2)
    tail = "".join(stderr_tail).strip()
    if timed_out.is_set():
        raise EncodeError(f"ffmpeg was stopped after {timeout:.0f}s (time limit for this file)", tail)
    if returncode != 0:
        last = tail.splitlines()[-1] if tail else f"exit status {returncode}"
        raise EncodeError(f"ffmpeg failed: {last}", tail)
