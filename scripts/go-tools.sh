#!/usr/bin/env bash
# Builds the Go programs the stack runs (FerretDB, tusd, faas-cli) once per
# version into a machine-wide cache, then links them into this checkout's
# .tools/bin/. Building is slow (about 2-3 minutes cold) and every checkout,
# instance and CI run needs the same binaries, so a second run only checks
# that the cached files exist and refreshes the links.
#
# The S3-compatible server (SeaweedFS, 164 MB and about 4 minutes to build)
# is built only when asked for: by `--with-s3` (the test suite, whose storage
# tests need it) or STORAGE_BACKEND=s3 (`make up` on object storage).
#
# Environment:
#   FLMNCHLL_CACHE   cache root (default ~/.cache/flmnchll); binaries go to bin/
#   GO               go command to use (default: go on PATH, else /usr/local/go/bin/go)
#   STORAGE_BACKEND  s3: also build SeaweedFS
set -euo pipefail

# The checkout is wherever this script lives, so CI's fresh clone in another
# folder works the same as a developer's tree.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${FLMNCHLL_CACHE:-${HOME:-/root}/.cache/flmnchll}"
BIN_DIR="$CACHE/bin"
LINK_DIR="$ROOT/.tools/bin"

FERRETDB_VERSION=1.24.2
FERRETDB_SRC="$ROOT/scripts/go/ferretdb"

TUSD_VERSION=2.9.1
TUSD_MODULE=github.com/tus/tusd/v2

# faas-cli tags lack the "v" prefix Go modules want, so the module proxy
# cannot list them: we pin the pseudo-version of the 0.15.6 release commit.
# The checksum database does not know that version either, so we pin the
# module's h1 hash here instead and refuse any download that differs.
FAAS_CLI_VERSION=0.15.6
FAAS_CLI_MODULE=github.com/openfaas/faas-cli
FAAS_CLI_PSEUDO=v0.0.0-20230119133646-fea2bf5a6d0c
FAAS_CLI_COMMIT=fea2bf5a6d0c4bd13bf3f98c36d94f93bf0fd004
FAAS_CLI_SUM="h1:bKdpxt1nwx1gORMakzuqQ5M6iDeowMxBAXQGGmBMZks="

# SeaweedFS: a real S3-compatible server (signatures, expiry, ranges) for the
# tests of the S3 storage backend. Its go.mod has replace directives, which
# `go install module@version` refuses, so it is built inside the downloaded
# module. Releases are not tagged as Go versions: pinned by pseudo-version.
SEAWEEDFS_VERSION=4.53
SEAWEEDFS_MODULE=github.com/seaweedfs/seaweedfs
SEAWEEDFS_PSEUDO=v0.0.0-20261109003541-7506e5f91cd6

GO_MIN_MINOR=24 # FerretDB 1.24 needs Go 1.24 or newer

die() {
    echo "go-tools: $*" >&2
    exit 1
}

GO_BIN=""
# find_go locates a usable Go toolchain; only called when something must be built.
find_go() {
    [ -n "$GO_BIN" ] && return 0
    local cand="${GO:-}"
    if [ -z "$cand" ]; then
        if command -v go >/dev/null 2>&1; then
            cand="$(command -v go)"
        elif [ -x /usr/local/go/bin/go ]; then
            cand=/usr/local/go/bin/go
        fi
    fi
    [ -n "$cand" ] ||
        die "Go is not installed (needed to build ferretdb, tusd, faas-cli and weed). Install Go 1.${GO_MIN_MINOR}+ (e.g. into /usr/local/go) or set GO=/path/to/go."
    local ver minor
    ver="$("$cand" env GOVERSION 2>/dev/null)" || die "'$cand' does not work as a Go toolchain"
    minor="$(sed -E 's/^go1\.([0-9]+).*/\1/' <<<"$ver")"
    [[ "$minor" =~ ^[0-9]+$ ]] && [ "$minor" -ge "$GO_MIN_MINOR" ] ||
        die "Go $ver is too old: 1.${GO_MIN_MINOR} or newer is needed."
    GO_BIN="$cand"
}

# Common build environment: static binaries, no local paths or VCS stamps in them.
go_env() {
    env CGO_ENABLED=0 GOWORK=off GOFLAGS="-trimpath -buildvcs=false" "$@"
}

# report prints the one line per tool that callers (make up) show.
report() { # name version state path
    printf '%-9s %-8s %-22s %s\n' "$1" "$2" "$3" "$4"
}

# link points .tools/bin/NAME at the cached binary.
link() { # name target
    ln -sfn "$2" "$LINK_DIR/$1"
}

# build_if_missing runs a build function unless the target already exists.
# Builds write to a temporary name and are renamed into place, so an
# interrupted or concurrent run never leaves a half-written binary behind.
build_if_missing() { # name version target build_fn [expected duration]
    local name="$1" version="$2" target="$3" fn="$4"
    if [ -x "$target" ]; then
        report "$name" "$version" cached "$target"
    else
        find_go
        # Said before the build starts: a cold build is silent for minutes.
        report "$name" "$version" "building (${5:-a minute or two})..." "$target"
        local tmp="$target.tmp.$$" start=$SECONDS
        trap "rm -rf '$tmp' '$tmp.d'" EXIT
        # Build functions run with errexit suspended (they sit left of ||),
        # so each step checks itself and the result is checked here too.
        "$fn" "$tmp" && [ -x "$tmp" ] || die "building $name $version failed (see the output above)"
        mv -f "$tmp" "$target"
        trap - EXIT
        report "$name" "$version" "built in $((SECONDS - start))s" "$target"
    fi
    link "$name" "$target"
}

build_ferretdb() { # out
    # PostgreSQL backend left out: we only use SQLite, and it shortens the build.
    (cd "$FERRETDB_SRC" &&
        go_env "$GO_BIN" build -mod=readonly -tags ferretdb_no_postgresql -ldflags "-s -w" -o "$1" .)
}

build_tusd() { # out
    local gobin="$1.d"
    mkdir -p "$gobin" &&
        (cd "$CACHE" && go_env GOBIN="$gobin" "$GO_BIN" install \
            -ldflags "-s -w -X $TUSD_MODULE/cmd/tusd/cli.VersionName=v$TUSD_VERSION" \
            "$TUSD_MODULE/cmd/tusd@v$TUSD_VERSION") &&
        mv -f "$gobin/tusd" "$1" &&
        rm -rf "$gobin"
}

build_faas_cli() { # out
    # `go install module@pseudo` would ask the proxy for the module's version
    # list (refused for this module), so we download the exact version, check
    # its hash, and build a writable copy of it as the main module.
    local info dir sum src platform
    info="$(cd "$CACHE" && GONOSUMDB="$FAAS_CLI_MODULE" GOFLAGS=-mod=mod GOWORK=off \
        "$GO_BIN" mod download -json "$FAAS_CLI_MODULE@$FAAS_CLI_PSEUDO")" ||
        die "could not download $FAAS_CLI_MODULE@$FAAS_CLI_PSEUDO"
    dir="$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' <<<"$info")"
    sum="$(sed -n 's/^[[:space:]]*"Sum": "\(.*\)",\{0,1\}$/\1/p' <<<"$info")"
    [ "$sum" = "$FAAS_CLI_SUM" ] ||
        die "$FAAS_CLI_MODULE@$FAAS_CLI_PSEUDO has hash '$sum', expected $FAAS_CLI_SUM: refusing to build it"
    [ -d "$dir" ] || die "downloaded faas-cli source not found at '$dir'"

    src="$CACHE/src/faas-cli-$FAAS_CLI_VERSION"
    rm -rf "$src" && mkdir -p "$CACHE/src" && cp -R "$dir" "$src" && chmod -R u+w "$src" ||
        return 1

    case "$("$GO_BIN" env GOARCH)" in
    amd64) platform=x86_64 ;;
    arm64) platform=arm64 ;;
    arm) platform=armhf ;;
    *) platform="$("$GO_BIN" env GOARCH)" ;;
    esac
    (cd "$src" && go_env "$GO_BIN" build -mod=readonly -ldflags "-s -w \
        -X $FAAS_CLI_MODULE/version.Version=$FAAS_CLI_VERSION \
        -X $FAAS_CLI_MODULE/version.GitCommit=$FAAS_CLI_COMMIT \
        -X $FAAS_CLI_MODULE/commands.Platform=$platform" -o "$1" .) || return 1
    rm -rf "$src"
}

build_seaweedfs() { # out
    local info dir
    info="$(cd "$CACHE" && GOFLAGS=-mod=mod GOWORK=off \
        "$GO_BIN" mod download -json "$SEAWEEDFS_MODULE@$SEAWEEDFS_PSEUDO")" ||
        die "could not download $SEAWEEDFS_MODULE@$SEAWEEDFS_PSEUDO"
    dir="$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' <<<"$info")"
    [ -d "$dir" ] || die "downloaded SeaweedFS source not found at '$dir'"
    (cd "$dir" && go_env "$GO_BIN" build -mod=readonly -ldflags "-s -w" -o "$1" ./weed)
}

main() {
    local with_s3=0
    [ "${STORAGE_BACKEND:-local}" = s3 ] && with_s3=1
    case "${1:-}" in
    --with-s3) with_s3=1 ;;
    "") ;;
    *) die "usage: go-tools.sh [--with-s3]" ;;
    esac
    mkdir -p "$BIN_DIR" "$LINK_DIR"

    # One build at a time per machine: `make up` and `make test` may both
    # start on a fresh machine and must not race on the same cache entries.
    if command -v flock >/dev/null 2>&1; then
        exec 9>"$CACHE/.go-tools.lock"
        flock 9
    fi

    # FerretDB is built from our own main package, so its cache key also
    # covers that source: editing main.go yields a new binary, not a stale one.
    local src_hash
    src_hash="$(cat "$FERRETDB_SRC/main.go" "$FERRETDB_SRC/go.mod" "$FERRETDB_SRC/go.sum" |
        sha256sum | cut -c1-10)"

    build_if_missing ferretdb "$FERRETDB_VERSION" \
        "$BIN_DIR/ferretdb-$FERRETDB_VERSION-$src_hash" build_ferretdb
    build_if_missing tusd "$TUSD_VERSION" "$BIN_DIR/tusd-$TUSD_VERSION" build_tusd
    build_if_missing faas-cli "$FAAS_CLI_VERSION" \
        "$BIN_DIR/faas-cli-$FAAS_CLI_VERSION" build_faas_cli
    if [ "$with_s3" = 1 ]; then
        build_if_missing weed "$SEAWEEDFS_VERSION" "$BIN_DIR/weed-$SEAWEEDFS_VERSION" build_seaweedfs \
            "about 4 minutes"
    fi
}

main "$@"
