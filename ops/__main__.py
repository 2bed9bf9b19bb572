"""Command line of the local stack: `python -m ops up|start|down|status|deploy [--instance NAME]`."""

from __future__ import annotations

import argparse
import importlib.util
import signal
import sys
import time

from ops import control
from ops.instance import Instance
from ops.status import status_lines


def seed(instance: Instance, demo: bool) -> None:
    """The first admin account and, for `make up`, the demo video: the same paths users take."""
    if importlib.util.find_spec("flmnchll.accounts"):
        control.run_module(instance, "flmnchll.accounts", "ensure-admin")
    if demo and importlib.util.find_spec("flmnchll.content.demo"):
        control.run_module(instance, "flmnchll.content.demo")


def bring_up(instance: Instance, *, foreground: bool, demo: bool) -> int:
    started = time.monotonic()
    child = control.start_supervisord(instance, foreground=foreground)
    try:
        control.wait_ready(instance)
        if instance.storage == "s3":
            control.wait_listening(instance, "s3")
            control.run_module(instance, "flmnchll.storage", "prepare-bucket")
        control.deploy(instance, if_changed=True)
        control.wait_functions(instance)
        seed(instance, demo)
    except BaseException:
        control.stop(instance)
        raise
    print(f"FLMnCHLL ({instance.name}) is up in {time.monotonic() - started:.1f}s")
    print(f"  app:      {instance.url('front')}/")
    print(f"  gateway:  {instance.url('gateway')}  (faas-cli -g {instance.url('gateway')})")
    print(f"  admin:    user 'admin', password in {instance.secrets_dir / 'admin-password'}")
    print(f"  logs:     {instance.logs_dir}/NAME.log    status: make status")
    if child is None:
        return 0
    print("Press Ctrl-C to stop everything.", flush=True)

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        return child.wait()
    except KeyboardInterrupt:
        print("\nStopping...", flush=True)
        control.stop(instance)
        child.wait(timeout=60)
        return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops", description=__doc__)
    parser.add_argument("command", choices=["up", "start", "down", "status", "deploy"])
    parser.add_argument("--instance", default=None, help="instance name (default: $FLMNCHLL_INSTANCE or dev)")
    parser.add_argument("--no-demo", action="store_true", help="do not seed the demo video")
    args = parser.parse_args(argv)
    instance = Instance.load(args.instance)
    try:
        if args.command == "up":
            return bring_up(instance, foreground=True, demo=not args.no_demo)
        if args.command == "start":
            return bring_up(instance, foreground=False, demo=not args.no_demo)
        if args.command == "down":
            stopped = control.stop(instance)
            print(f"FLMnCHLL ({instance.name}) " + ("stopped." if stopped else "was not running."))
            return 0
        if args.command == "status":
            print("\n".join(status_lines(instance)))
            return 0
        control.deploy(instance)
        control.wait_functions(instance)
        return 0
    except control.StackError as exc:
        control.fail(str(exc))
    return 1


if __name__ == "__main__":
    sys.exit(main())
