"""Starts one function process: the runtime folder's environment, then the template's index.py.

Run as `python -m faas.launch PORT` with the function's runtime folder as working directory, so that the
folder (with its `function` link) comes first on sys.path and `from function import handler` finds the
deployed source rather than the template's sample.
"""

from __future__ import annotations

import json
import os
import runpy
import sys
from pathlib import Path


def main(argv: list[str]) -> None:
    if len(argv) != 2 or not argv[1].isdigit():
        raise SystemExit("usage: python -m faas.launch PORT  (run in a function's runtime folder)")
    config = json.loads(Path("env.json").read_text())
    os.environ.update({key: str(value) for key, value in config["env"].items()})
    os.environ["PORT"] = argv[1]
    os.environ.setdefault("HOSTNAME", f"{os.environ.get('FAAS_FUNCTION_NAME', 'function')}-{argv[1]}")
    here = os.getcwd()
    if sys.path[0] != here:
        sys.path.insert(0, here)
    sys.argv = [config["template_index"]]
    runpy.run_path(config["template_index"], run_name="__main__")


if __name__ == "__main__":
    main(sys.argv)
