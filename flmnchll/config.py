"""Settings read from the environment, and secrets read the OpenFaaS way (one file per secret)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import process_settings
from process_settings import env_int, env_path, env_str

OPENFAAS_SECRETS_DIR = "/var/openfaas/secrets"


class MissingSecret(RuntimeError):
    """A secret the service cannot run without is absent."""


def secrets_dir() -> Path:
    return env_path("SECRETS_DIR", Path(OPENFAAS_SECRETS_DIR))


def read_secret(name: str, env_var: str | None = None) -> str:
    """Return a secret: an environment override wins, then the mounted secret file.

    Secrets are re-read on every call so a rotated secret takes effect without a restart; they are small files
    in a tmpfs on OpenFaaS and in the page cache locally.
    """
    if env_var and os.environ.get(env_var):
        return os.environ[env_var]
    value = process_settings.read_secret(secrets_dir(), name)
    if value is None:
        raise MissingSecret(f"secret {name!r} is not mounted (looked in {secrets_dir()})")
    return value


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
    #: how long a room waits for a member whose film does not load before it plays on without them (s)
    room_buffer_wait_s: int

    @property
    def database_name(self) -> str:
        """The database named in the URI's path, defaulting to `flmnchll`."""
        tail = self.mongodb_uri.split("/", 3)[3] if self.mongodb_uri.count("/") >= 3 else ""
        name = tail.split("?", 1)[0]
        return name or "flmnchll"


ROOM_BUFFER_WAIT_RANGE_S = (1, 600)


def _room_buffer_wait_s() -> int:
    low, high = ROOM_BUFFER_WAIT_RANGE_S
    seconds = env_int("ROOM_BUFFER_WAIT_S", 10)
    if not low <= seconds <= high:
        raise ValueError(f"ROOM_BUFFER_WAIT_S must be {low} to {high} seconds, not {seconds}")
    return seconds


@lru_cache(maxsize=1)
def settings() -> Settings:
    data_dir = env_path("DATA_DIR", Path("/var/lib/flmnchll"))
    return Settings(
        mongodb_uri=env_str("MONGODB_URI", "mongodb://127.0.0.1:27017/flmnchll"),
        redis_url=env_str("REDIS_URL", "redis://127.0.0.1:6379/0"),
        gateway_url=env_str("GATEWAY_URL", "http://127.0.0.1:8080").rstrip("/"),
        public_url=env_str("PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/"),
        data_dir=data_dir,
        media_dir=env_path("MEDIA_DIR", data_dir / "media"),
        upload_dir=env_path("UPLOAD_DIR", data_dir / "uploads"),
        peer_host=env_str("PEER_HOST", "127.0.0.1"),
        peer_port=env_int("PEER_PORT", 9000),
        peer_pool_size=env_int("PEER_POOL_SIZE", 2),
        peer_path=env_str("PEER_PATH", "/peerjs"),
        peer_key=env_str("PEER_KEY", "flmnchll"),
        turn_host=env_str("TURN_HOST", "127.0.0.1"),
        turn_port=env_int("TURN_PORT", 3478),
        bcrypt_rounds=env_int("BCRYPT_ROUNDS", 12),
        session_ttl_seconds=env_int("SESSION_TTL_SECONDS", 7 * 24 * 3600),
        room_buffer_wait_s=_room_buffer_wait_s(),
    )
