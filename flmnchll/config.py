"""Settings read from the environment, and secrets read the OpenFaaS way (one file per secret)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

OPENFAAS_SECRETS_DIR = "/var/openfaas/secrets"


class MissingSecret(RuntimeError):
    """A secret the service cannot run without is absent."""


def secrets_dir() -> Path:
    return Path(os.environ.get("SECRETS_DIR", OPENFAAS_SECRETS_DIR))


def read_secret(name: str, env_var: str | None = None) -> str:
    """Return a secret: an environment override wins, then the mounted secret file.

    Secrets are re-read on every call so a rotated secret takes effect without a restart; they are small files
    in a tmpfs on OpenFaaS and in the page cache locally.
    """
    if env_var and os.environ.get(env_var):
        return os.environ[env_var]
    path = secrets_dir() / name
    try:
        return path.read_text().strip()
    except FileNotFoundError as exc:
        raise MissingSecret(f"secret {name!r} is not mounted (looked in {path.parent})") from exc


@dataclass(frozen=True)
class Settings:
    mongodb_uri: str
    redis_url: str
    gateway_url: str
    public_url: str
    data_dir: Path
    media_dir: Path
    upload_dir: Path
    peer_host: str
    peer_port: int
    peer_pool_size: int
    peer_path: str
    peer_key: str
    turn_host: str
    turn_port: int
    bcrypt_rounds: int
    session_ttl_seconds: int

    @property
    def database_name(self) -> str:
        """The database named in the URI's path, defaulting to `flmnchll`."""
        tail = self.mongodb_uri.split("/", 3)[3] if self.mongodb_uri.count("/") >= 3 else ""
        name = tail.split("?", 1)[0]
        return name or "flmnchll"


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw else default


@lru_cache(maxsize=1)
def settings() -> Settings:
    data_dir = Path(os.environ.get("DATA_DIR", "/var/lib/flmnchll"))
    return Settings(
        mongodb_uri=os.environ.get("MONGODB_URI", "mongodb://127.0.0.1:27017/flmnchll"),
        redis_url=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        gateway_url=os.environ.get("GATEWAY_URL", "http://127.0.0.1:8080").rstrip("/"),
        public_url=os.environ.get("PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/"),
        data_dir=data_dir,
        media_dir=Path(os.environ.get("MEDIA_DIR", str(data_dir / "media"))),
        upload_dir=Path(os.environ.get("UPLOAD_DIR", str(data_dir / "uploads"))),
        peer_host=os.environ.get("PEER_HOST", "127.0.0.1"),
        peer_port=_int("PEER_PORT", 9000),
        peer_pool_size=_int("PEER_POOL_SIZE", 2),
        peer_path=os.environ.get("PEER_PATH", "/peerjs"),
        peer_key=os.environ.get("PEER_KEY", "flmnchll"),
        turn_host=os.environ.get("TURN_HOST", "127.0.0.1"),
        turn_port=_int("TURN_PORT", 3478),
        bcrypt_rounds=_int("BCRYPT_ROUNDS", 12),
        session_ttl_seconds=_int("SESSION_TTL_SECONDS", 7 * 24 * 3600),
    )
