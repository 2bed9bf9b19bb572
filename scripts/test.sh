#!/usr/bin/env bash
# The whole test suite: lint and unit tests of every part, then pytest against a test instance of the
# real stack (ports +10000, folders under .instances/test), which also drives the browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
export FLMNCHLL_INSTANCE=test

echo "== ruff"
.venv/bin/ruff check .
echo "== mypy"
bash scripts/typecheck.sh

if [ -f frontend/package.json ]; then
  echo "== frontend: typecheck, lint, unit tests"
  (cd frontend && npm run --silent typecheck && npm run --silent lint && npm test --silent)
fi
if [ -f peer/package.json ]; then
  echo "== peer: unit tests"
  (cd peer && npm test --silent)
fi

echo "== pytest"
# Stop the test instances left behind by an interrupted run (the shared one, the fault suite's) before starting.
.venv/bin/python -m ops down --instance test >/dev/null 2>&1 || true
.venv/bin/python -m ops down --instance faults >/dev/null 2>&1 || true
exec .venv/bin/pytest "$@"
