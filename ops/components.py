"""One definition of each long-running component: image, port, command line, forwarded headers, environment,
secrets and health check.

The local stack (`ops.programs`, `ops.render`), the test harnesses and the production path test are rendered
from these; `deploy/docker-compose.yml` and `deploy/kubernetes/*.yaml` are written by hand for people to read
and are held to them by `tests/deploy/test_parity.py`, which fails on any difference. The functions' own
definition is `stack.yml` (what faas-cli deploys): `function_environment()` and `function_secrets()` read it.

What differs between places is a parameter of the renderings below (where tusd listens, where it stores,
where its hooks go), never a second copy of a flag.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from string import Template

import yaml

REPO = Path(__file__).resolve().parent.parent
STACK = REPO / "stack.yml"

#: our own images carry the project's version; their registry differs per place (compose: flmnchll/...)
VERSION = "0.1.0"
#: where the pieces outside OpenFaaS mount their secrets (the path OpenFaaS uses for functions)
SECRETS_MOUNT = "/var/openfaas/secrets"
#: the shared volume of uploads and renditions (local storage backend)
DATA_ROOT = "/var/lib/flmnchll"
#: the service-to-service header (flmnchll/service_calls.py): the front door adds it to uploads
SERVICE_HEADER = "X-Internal-Secret"
#: the storage backend's keys, mounted by whoever reads or writes the bucket
S3_SECRETS = ("s3-access-key", "s3-secret-key")
#: settings the functions take from the OpenFaaS watchdog, not from the application
WATCHDOG_ENVIRONMENT = ("exec_timeout", "read_timeout", "write_timeout")


@dataclass(frozen=True)
class Component:
    name: str
    #: `repository:tag`; for our own images the repository without its registry
    image: str
    port: int | None = None
    #: fixed environment in production (values the same everywhere)
    environment: dict[str, str] = field(default_factory=dict)
    secrets: tuple[str, ...] = ()
    #: an HTTP path on `port`, or a command run in the container
    health: str = ""


TUSD = Component("tusd", "tusproject/tusd:v2.9.1", 1080, health="/metrics")
WORKERS = Component("workers", f"workers:{VERSION}", None,
                    environment={"PROGRESSIVE_FILES": "on", "SPLIT_LADDER": "off"},
                    secrets=("redis-password", "service-key", "media-secret", *S3_SECRETS),
                    health="python /app/worker_health.py")
PEER = Component("peer", f"peer:{VERSION}", 9000,
                 environment={"PEER_BIND": "0.0.0.0", "PEER_PORT": "9000", "PEER_PATH": "/peerjs",
                              "SECRETS_DIR": SECRETS_MOUNT},
                 secrets=("peer-token-key",), health="/health")
COTURN = Component("coturn", "coturn/coturn:4.6.3", 3478, secrets=("turn-secret",))
REDIS = Component("redis", "redis:7.4.1-alpine", 6379, secrets=("redis-password",))
MONGO = Component("mongo", "mongo:7.0.14", 27017)
FRONT = Component("front", f"front:{VERSION}", 8080, secrets=("media-secret", "service-key"), health="/healthz")

# --- tusd ---------------------------------------------------------------------------------------------------
TUSD_BASE_PATH = "/uploads/"
#: pre-create: upload-hook refuses non-admins before a byte is stored; pre-finish: it creates the item and
#: answers its id; post-finish: it queues the transcode
TUSD_HOOK_EVENTS = ("pre-create", "pre-finish", "post-finish")
#: what upload-hook needs of the uploader's request: who the uploader is, and the service key the front door adds
TUSD_FORWARDED_HEADERS = ("Authorization", SERVICE_HEADER)


def tusd_args(*, host: str, port: int, store: list[str], hook_url: str) -> list[str]:
    """tusd's command line; `store` is `upload_dir()` or `s3_store()`."""
    return [
        f"-host={host}",
        f"-port={port}",
        f"-base-path={TUSD_BASE_PATH}",
        *store,
        "-behind-proxy",
        f"-hooks-http={hook_url}",
        f"-hooks-http-forward-headers={','.join(TUSD_FORWARDED_HEADERS)}",
        f"-hooks-enabled-events={','.join(TUSD_HOOK_EVENTS)}",
        "-disable-download",
    ]


def upload_dir(folder: str | Path) -> list[str]:
    return [f"-upload-dir={folder}"]


def s3_store(bucket: str, endpoint: str) -> list[str]:
    """Uploads under `uploads/` in the media bucket, where upload-hook and the workers look for them."""
    return [f"-s3-bucket={bucket}", f"-s3-endpoint={endpoint}", "-s3-object-prefix=uploads/"]


#: production: tusd in the cluster, its hooks to the OpenFaaS gateway (compose: to the function's container)
TUSD_PRODUCTION = tusd_args(host="0.0.0.0", port=TUSD.port or 0, store=upload_dir(f"{DATA_ROOT}/uploads"),
                            hook_url="http://gateway.openfaas.svc.cluster.local:8080/function/upload-hook")
TUSD_COMPOSE = tusd_args(host="0.0.0.0", port=TUSD.port or 0, store=upload_dir(f"{DATA_ROOT}/uploads"),
                         hook_url="http://upload-hook:8080/")

# --- workers ------------------------------------------------------------------------------------------------
QUEUES = ("transcode", "downscale")


def worker_args(queue: str) -> list[str]:
    """The image's entrypoint is `python -m workers`; the argument chooses the queue."""
    if queue not in QUEUES:
        raise ValueError(f"no queue {queue!r}")
    return [queue]


def worker_command(python: str, queue: str) -> list[str]:
    return [python, "-m", "workers", *worker_args(queue)]


# --- PeerJS pool --------------------------------------------------------------------------------------------
def peer_command(node: str, server: Path, port: int) -> list[str]:
    return [node, str(server), "--port", str(port)]


# --- coturn -------------------------------------------------------------------------------------------------
TURN_RELAY_PORTS = (49152, 49999)
TURN_PRIVATE_PEERS = ("10.0.0.0-10.255.255.255", "172.16.0.0-172.31.255.255", "192.168.0.0-192.168.255.255")


def coturn_args(secret: str, realm: str) -> list[str]:
    """Production coturn: REST credentials signed with turn-secret, no relay into private networks."""
    return [
        f"--listening-port={COTURN.port}",
        f"--min-port={TURN_RELAY_PORTS[0]}",
        f"--max-port={TURN_RELAY_PORTS[1]}",
        "--fingerprint",
        "--use-auth-secret",
        f"--static-auth-secret={secret}",
        f"--realm={realm}",
        "--no-cli",
        "--no-tls",
        "--no-dtls",
        "--no-multicast-peers",
        *(f"--denied-peer-ip={peers}" for peers in TURN_PRIVATE_PEERS),
        "--log-file=stdout",
    ]


# --- redis --------------------------------------------------------------------------------------------------
#: persistence of the production Redis (rq queues and sessions survive a restart)
REDIS_SETTINGS = {"appendonly": "yes"}


def redis_conf(*, port: int, password: str, folder: Path, persistent: bool = True) -> str:
    """redis.conf of a local Redis: the instance's, or a throw-away one for a test harness (not `persistent`)."""
    template = Template((Path(__file__).resolve().parent / "templates" / "redis.conf").read_text())
    appendonly = REDIS_SETTINGS["appendonly"] if persistent else "no"
    return template.substitute(redis_port=port, redis_password=password, redis_dir=folder, appendonly=appendonly)


# --- the functions (stack.yml) ------------------------------------------------------------------------------
_DEFAULT = re.compile(r"^\$\{(?P<name>\w+):-(?P<default>.*)\}$")


@cache
def _stack() -> dict:
    return yaml.safe_load(STACK.read_text())


def function_environment() -> dict[str, str]:
    """The settings every function reads, with their production defaults (stack.yml `${VAR:-default}`)."""
    first = next(iter(_stack()["functions"].values()))
    found = {}
    for key, value in first["environment"].items():
        if key in WATCHDOG_ENVIRONMENT:
            continue
        match = _DEFAULT.match(str(value))
        found[key] = match.group("default") if match else str(value)
    return found


def function_secrets() -> dict[str, list[str]]:
    """Each function's secrets, as stack.yml grants them."""
    return {name: list(spec.get("secrets") or []) for name, spec in _stack()["functions"].items()}


def function_names() -> list[str]:
    return list(_stack()["functions"])
