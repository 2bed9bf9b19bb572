"""The deployed-function registry: a JSON file, rewritten atomically, so a restarted gateway knows its functions."""

from __future__ import annotations

import json
import os
import tempfile
import threading
from pathlib import Path

from faas.spec import FunctionSpec


class Registry:
    """In-memory view of `functions.json`; every change is written through before it is visible."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._functions: dict[str, FunctionSpec] = {}
        self.reload()

    def reload(self) -> None:
        with self._lock:
            try:
                data = json.loads(self.path.read_text())
            except FileNotFoundError:
                data = {}
            self._functions = {name: FunctionSpec.from_json(item) for name, item in data.get("functions", {}).items()}

    def get(self, name: str) -> FunctionSpec | None:
        return self._functions.get(name)

    def all(self) -> list[FunctionSpec]:
        return sorted(self._functions.values(), key=lambda s: s.service)

    def put(self, spec: FunctionSpec) -> None:
        with self._lock:
            functions = dict(self._functions)
            functions[spec.service] = spec
            self._write(functions)
            self._functions = functions

    def remove(self, name: str) -> FunctionSpec | None:
        with self._lock:
            functions = dict(self._functions)
            removed = functions.pop(name, None)
            self._write(functions)
            self._functions = functions
            return removed

    def _write(self, functions: dict[str, FunctionSpec]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        payload = {"functions": {name: spec.to_json() for name, spec in sorted(functions.items())}}
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".functions.", suffix=".json")
        try:
            with os.fdopen(fd, "w") as handle:
                json.dump(payload, handle, indent=2, sort_keys=True)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
