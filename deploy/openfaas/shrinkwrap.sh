#!/usr/bin/env bash
# Writes a Docker build context per function to ./build/NAME (faas-cli build --shrinkwrap -f stack.yml).
# faas-cli looks for templates in ./template/; ours live in ./templates/, so link them when missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
FAAS_CLI=${FAAS_CLI:-$PWD/.tools/bin/faas-cli}
mkdir -p template
[ -e template/python3-http ] || ln -s ../templates/python3-http template/python3-http
"$FAAS_CLI" build --shrinkwrap -f stack.yml "$@"
