"""An instance is one complete local stack: its own ports, data, logs, runtime files and secrets.

`dev` (what `make up` runs) uses the documented ports and the repository's `.data/ .logs/ .run/ .secrets/`;
`test` shifts every port by 10000 and lives in `.instances/test/`, so the suite runs beside a running stack.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ops.components import WORKERS, function_environment
from process_settings import env_int, env_str

#: settings the local stack takes as deployed (stack.yml's default), the starting shell may override them
SERVICE_SETTINGS = ("ROOM_BUFFER_WAIT_S",)

REPO = Path(__file__).resolve().parent.parent

BASE_PORTS: dict[str, int] = {
    "front": 8000,
    "gateway": 8080,
    "metrics": 8082,
    "mongo": 27017,
    "redis": 6379,
    "tusd": 1080,
    "peer": 9000,
    "turn": 3478,
    "functions": 8100,
    "s3": 8333,  # with STORAGE_BACKEND=s3 only; SeaweedFS's own ports are the ten after it
}
PORT_ENV = {
    "front": "FRONT_PORT",
    "gateway": "GATEWAY_PORT",
    "metrics": "METRICS_PORT",
    "mongo": "MONGO_PORT",
    "redis": "REDIS_PORT",
    "tusd": "TUSD_PORT",
    "peer": "PEER_PORT",
    "turn": "TURN_PORT",
    "functions": "FUNCTION_PORT_BASE",
    "s3": "S3_PORT",
}
DEFAULT_OFFSETS = {"dev": 0, "test": 10000}
STORAGE_BACKENDS = ("local", "s3")
S3_BUCKET = "flmnchll"


@dataclass(frozen=True)
class Instance:
    name: str
    offset: int
    home: Path
    ports: dict[str, int] = field(default_factory=dict)
    peer_pool_size: int = 2
    transcode_workers: int = 1
    downscale_workers: int = 1
    #: `local`: folders served by nginx; `s3`: a SeaweedFS bucket, as production runs with object storage
    storage: str = "local"

    @classmethod
    def load(cls, name: str | None = None) -> Instance:
        name = name or os.environ.get("FLMNCHLL_INSTANCE", "dev")
        default_offset = DEFAULT_OFFSETS.get(name, 20000)
        offset = env_int("PORT_OFFSET", default_offset)
        ports = {key: env_int(PORT_ENV[key], base + offset) for key, base in BASE_PORTS.items()}
        home = REPO if name == "dev" else REPO / ".instances" / name
        storage = env_str("STORAGE_BACKEND", "local").lower()
        if storage not in STORAGE_BACKENDS:
            raise ValueError(f"STORAGE_BACKEND must be one of {', '.join(STORAGE_BACKENDS)}, not {storage!r}")
        return cls(
            name=name,
            offset=offset,
            home=home,
            ports=ports,
            peer_pool_size=env_int("PEER_POOL_SIZE", 2),
            transcode_workers=env_int("TRANSCODE_WORKERS", 1),
            downscale_workers=env_int("DOWNSCALE_WORKERS", 1),
            storage=storage,
        )

    def _dir(self, kind: str) -> Path:
        return self.home / f".{kind}" if self.name == "dev" else self.home / kind

    @property
    def data_dir(self) -> Path:
        return self._dir("data")

    @property
    def logs_dir(self) -> Path:
        return self._dir("logs")

    @property
    def run_dir(self) -> Path:
        return self._dir("run")

    @property
    def secrets_dir(self) -> Path:
        return self._dir("secrets")

    @property
    def supervisor_socket(self) -> Path:
        return self.run_dir / "supervisor.sock"

    @property
    def faas_state_dir(self) -> Path:
        return self.data_dir / "faas"

    @property
    def tools_bin(self) -> Path:
        return REPO / ".tools" / "bin"

    @property
    def python(self) -> str:
        venv_python = REPO / ".venv" / "bin" / "python"
        return str(venv_python) if venv_python.exists() else sys.executable

    @property
    def peer_ports(self) -> list[int]:
        return [self.ports["peer"] + i for i in range(self.peer_pool_size)]

    @property
    def turn_relay_range(self) -> tuple[int, int]:
        start = 50000 + self.offset // 10
        return start, start + 499

    def url(self, component: str) -> str:
        return f"http://127.0.0.1:{self.ports[component]}"

    def environment(self) -> dict[str, str]:
        """Settings every process of the instance shares. Secrets are files, never environment values."""
        return {
            "FLMNCHLL_INSTANCE": self.name,
            "MONGODB_URI": f"mongodb://127.0.0.1:{self.ports['mongo']}/flmnchll",
            "REDIS_URL": f"redis://127.0.0.1:{self.ports['redis']}/0",
            "SECRETS_DIR": str(self.secrets_dir),
            "GATEWAY_URL": self.url("gateway"),
            "OPENFAAS_URL": self.url("gateway"),
            "PUBLIC_URL": self.url("front"),
            "DATA_DIR": str(self.data_dir),
            "MEDIA_DIR": str(self.data_dir / "media"),
            "UPLOAD_DIR": str(self.data_dir / "uploads"),
            "TUSD_URL": self.url("tusd"),
            "METRICS_URL": self.url("metrics") + "/metrics",
            "PEER_HOST": "127.0.0.1",
            "PEER_PORT": str(self.ports["peer"]),
            "PEER_POOL_SIZE": str(self.peer_pool_size),
            "PEER_PATH": "/peerjs",
            "TURN_HOST": "127.0.0.1",
            "TURN_PORT": str(self.ports["turn"]),
            "BCRYPT_ROUNDS": os.environ.get("BCRYPT_ROUNDS", "4" if self.name == "test" else "12"),
            # the service's own settings: stack.yml's value, unless the shell that starts the stack sets one
            **{name: os.environ.get(name, function_environment()[name]) for name in SERVICE_SETTINGS},
            **{name: os.environ.get(name, value) for name, value in WORKERS.environment.items()},
            "SUPERVISOR_URL": f"unix://{self.supervisor_socket}",
            "PATH": f"{self.tools_bin}:{REPO / '.venv' / 'bin'}:{os.environ.get('PATH', '/usr/bin:/bin')}",
            **self.storage_environment(),
        }

    def storage_environment(self) -> dict[str, str]:
        """The storage settings (flmnchll.storage): keys stay secrets (`s3-access-key`, `s3-secret-key`)."""
        if self.storage != "s3":
            return {"STORAGE_BACKEND": "local"}
        endpoint = self.url("s3")
        return {"STORAGE_BACKEND": "s3", "S3_ENDPOINT_URL": endpoint, "S3_PUBLIC_URL": endpoint,
                "S3_BUCKET": S3_BUCKET, "S3_REGION": "us-east-1"}
