#!/usr/bin/env bash
# Install and build everything the local stack needs. Idempotent and cached: a second run takes seconds.
#   Debian packages (only when one is missing), the Python virtualenv (keyed by the requirements' hash),
#   the Go tools (FerretDB, tusd, faas-cli), Node packages of peer/ and frontend/, and the app's build.
# `--with-s3` (the test suite) or STORAGE_BACKEND=s3 also builds the S3-compatible server (SeaweedFS).
set -euo pipefail
GO_TOOLS_ARGS=()
case "${1:-}" in
  --with-s3) GO_TOOLS_ARGS=(--with-s3) ;;
  "") ;;
  *) echo "usage: scripts/install.sh [--with-s3]" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/.."
REPO=$(pwd)
CACHE=${FLMNCHLL_CACHE:-$HOME/.cache/flmnchll}
mkdir -p "$CACHE"

say() { printf '\033[1m==>\033[0m %s\n' "$*"; }
hash_of() { cat "$@" 2>/dev/null | sha256sum | cut -c1-16; }

# --- Debian packages -------------------------------------------------------------------------------------
APT_PACKAGES=(redis-server ffmpeg coturn nginx chromium ca-certificates python3-venv)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "Installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The distribution's services are not ours: the stack runs its own instances on its own ports.
for svc in redis-server nginx coturn; do
  if command -v systemctl >/dev/null && systemctl is-active --quiet "$svc" 2>/dev/null; then
    systemctl disable --now "$svc" >/dev/null 2>&1 || true
  fi
done

# --- Toolchains the machine brings (Go for the Go tools, Node for the PeerJS servers and the app) ------------
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "error: Node.js 20 or newer is needed (found: $(node --version 2>/dev/null || echo none))." >&2
  exit 1
fi

# --- Python ----------------------------------------------------------------------------------------------
PY_HASH=$(hash_of requirements.txt requirements-dev.txt)
if [ ! -e .venv ]; then
  VENV="$CACHE/venv-$PY_HASH"
  if [ ! -x "$VENV/bin/python" ] || [ ! -f "$VENV/.installed" ]; then
    say "Creating the Python environment"
    rm -rf "$VENV"
    python3 -m venv "$VENV"
  fi
  ln -sfn "$VENV" .venv
fi
if [ "$(cat .venv/.installed 2>/dev/null)" != "$PY_HASH" ]; then
  say "Installing Python packages"
  .venv/bin/pip install -q --disable-pip-version-check -r requirements-dev.txt
  echo "$PY_HASH" > .venv/.installed
fi
# The pipeline's ffmpeg comes inside a wheel: refuse to go on with an altered or incomplete binary.
.venv/bin/python -m flmnchll.media.ffmpeg check >/dev/null

# --- Go tools --------------------------------------------------------------------------------------------
say "Go tools"
bash scripts/go-tools.sh "${GO_TOOLS_ARGS[@]}"

# --- Node packages ---------------------------------------------------------------------------------------
npm_install() {  # folder: install from the lockfile when it changed
  local dir=$1 stamp
  [ -f "$dir/package-lock.json" ] || return 0
  stamp=$(hash_of "$dir/package-lock.json")
  if [ "$(cat "$dir/node_modules/.installed" 2>/dev/null)" != "$stamp" ]; then
    say "Installing Node packages in $dir/"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$stamp" > "$dir/node_modules/.installed"
  fi
}
npm_install peer
npm_install frontend

# --- The web app -----------------------------------------------------------------------------------------
if [ -f frontend/package.json ]; then
  APP_HASH=$( (cd frontend && find src public index.html package-lock.json vite.config.* tsconfig*.json \
    -type f 2>/dev/null | sort | xargs cat) | sha256sum | cut -c1-16)
  if [ "$(cat frontend/dist/.built 2>/dev/null)" != "$APP_HASH" ]; then
    say "Building the web app"
    (cd frontend && npm run --silent build >/dev/null)
    echo "$APP_HASH" > frontend/dist/.built
  fi
fi
say "Installed ($REPO)"
