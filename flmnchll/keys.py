"""One configured root secret, one key per purpose derived from it.

Operators keep a single secret, `internal-api-secret` (the root). Each use of a shared key gets its own key,
HMAC-SHA256(root, "flmnchll/" + purpose) in hex, so a key that leaks through one use (a viewer holds many
values signed with the peer-token key) says nothing about the others: a peer token never verifies as an admin
task. The derived keys are provisioned as secret files of their own and each component mounts and reads only
the ones it uses; nothing but provisioning ever reads the root.

`python -m flmnchll.keys [--out DIR] < root-file` derives them for a production install (see
docs/production.md): it prints `NAME=VALUE` lines, or writes one 0600 file per key into DIR, ready for
`faas-cli secret create NAME --from-file DIR/NAME` or `kubectl create secret generic ... --from-file=DIR`.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import os
import sys
from pathlib import Path

from flmnchll.config import read_secret

ROOT = "internal-api-secret"
ADMIN_TASK_KEY = "admin-task-key"  # signs admin tasks (`faas-cli invoke --sign X-Hub-Signature --key KEY`)
PEER_TOKEN_KEY = "peer-token-key"  # signs peer tokens, checked by the PeerJS servers
SERVICE_KEY = "service-key"  # the `X-Internal-Secret` of workers, tusd's hooks and S3 notifications
TURN_SECRET = "turn-secret"  # coturn's REST-credential secret (`use-auth-secret`)
MEDIA_SECRET = "media-secret"  # nginx `secure_link` of signed media links

# Every purpose, with the environment variable that may replace it. The two older names stay overridable as
# they always were; when not overridden they are derived like the rest.
PURPOSES: dict[str, str | None] = {
    ADMIN_TASK_KEY: None,
    PEER_TOKEN_KEY: None,
    SERVICE_KEY: None,
    TURN_SECRET: "TURN_SECRET",
    MEDIA_SECRET: "MEDIA_SECRET",
}
LABEL_PREFIX = "flmnchll/"


def derive(root: str, purpose: str) -> str:
    """The key of `purpose`: hex HMAC-SHA256 of its label under the root (hex: safe in any config file)."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown key purpose {purpose!r}; known: {', '.join(PURPOSES)}")
    if not root:
        raise ValueError("the root secret is empty")
    return hmac.new(root.encode(), (LABEL_PREFIX + purpose).encode(), hashlib.sha256).hexdigest()


def derive_all(root: str, overrides: dict[str, str] | None = None) -> dict[str, str]:
    """Every purpose key; an override (by environment variable name) replaces a derived value."""
    overrides = overrides if overrides is not None else dict(os.environ)
    keys = {}
    for purpose, env_var in PURPOSES.items():
        override = overrides.get(env_var) if env_var else None
        keys[purpose] = override or derive(root, purpose)
    return keys


def read(purpose: str) -> str:
    """The key of one purpose, as mounted for this component (never derived here: components hold no root)."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown key purpose {purpose!r}; known: {', '.join(PURPOSES)}")
    return read_secret(purpose, PURPOSES[purpose])


def write_files(keys: dict[str, str], directory: Path) -> None:
    """One 0600 file per key in `directory`, each replaced whole (a running reader never sees it half written)."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, value in keys.items():
        path = directory / name
        if path.exists() and path.read_text().strip() == value:
            continue
        draft = directory / f".{name}.new"
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(value)
        os.replace(draft, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m flmnchll.keys",
        description="Derive every purpose key from the root secret (internal-api-secret), read from stdin.")
    parser.add_argument("--out", type=Path, help="write one 0600 file per key into this folder instead of "
                                                 "printing NAME=VALUE lines")
    parser.add_argument("--no-overrides", action="store_true",
                        help="ignore TURN_SECRET and MEDIA_SECRET in the environment")
    args = parser.parse_args(argv)
    root = sys.stdin.read().strip()
    if not root:
        parser.error("give the root secret on stdin, e.g. `< .secrets/internal-api-secret`")
    keys = derive_all(root, {} if args.no_overrides else None)
    if args.out:
        write_files(keys, args.out)
        print(f"wrote {', '.join(keys)} into {args.out}", file=sys.stderr)
    else:
        for name, value in keys.items():
            print(f"{name}={value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
