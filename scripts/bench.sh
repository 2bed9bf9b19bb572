#!/usr/bin/env bash
# Run every benchmark against a bench instance of the stack and print their tables.
set -euo pipefail
cd "$(dirname "$0")/.."
export FLMNCHLL_INSTANCE=bench PORT_OFFSET=${PORT_OFFSET:-20000}
.venv/bin/python -m ops down --instance bench >/dev/null 2>&1 || true
.venv/bin/python -m ops start --instance bench --no-demo
trap '.venv/bin/python -m ops down --instance bench >/dev/null' EXIT
status=0
for bench in bench/*.py; do
  echo "== $bench"
  .venv/bin/python "$bench" || status=1
done
exit $status
