#!/usr/bin/env bash
# Static types: mypy over the Python packages, then over each function's handler on its own, since every
# function's module is named `handler`. Settings: [tool.mypy] in pyproject.toml. Runs in scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
MYPY=.venv/bin/mypy

"$MYPY" faas flmnchll workers ops process_settings
failed=0
for handler in functions/*/handler.py; do
  "$MYPY" --no-error-summary "$handler" || failed=1
done
if [ "$failed" -ne 0 ]; then
  echo "mypy: the handlers above have type errors" >&2
  exit 1
fi
echo "mypy: $(ls functions/*/handler.py | wc -l) handlers clean"
