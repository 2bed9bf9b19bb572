"""deploy/ says what the one definition says (ops/components.py, and stack.yml for the functions).

Offline: every image, port, secret, environment variable, command line and forwarded header named in
deploy/docker-compose.yml and deploy/kubernetes/*.yaml is compared with the definition, and any difference
fails with the place it is in. The compose tests (test_compose.py) still run the file where Docker is.
"""

from __future__ import annotations

import re
import shlex
from typing import Any

import pytest
import yaml

from ops import components
from ops.components import COTURN, FRONT, MONGO, PEER, REDIS, TUSD, WORKERS
from tests.deploy.conftest import DEPLOY

COMPOSE: dict[str, Any] = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
SERVICES: dict[str, Any] = COMPOSE["services"]
#: where compose mounts secrets (Docker's own place); SECRETS_DIR says so to the pieces that read them
COMPOSE_SECRETS = "/run/secrets"
_DEFAULTED = re.compile(r"\$\{\w+:-([^}]*)\}")


def manifests() -> dict[tuple[str, str], dict[str, Any]]:
    found = {}
    for path in sorted((DEPLOY / "kubernetes").glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                found[(doc["kind"], doc["metadata"]["name"])] = doc
    return found


K8S = manifests()


def container(kind: str, name: str) -> dict[str, Any]:
    return K8S[(kind, name)]["spec"]["template"]["spec"]["containers"][0]


def pod(kind: str, name: str) -> dict[str, Any]:
    return K8S[(kind, name)]["spec"]["template"]["spec"]


def image(reference: str) -> str:
    """`repository:tag` with `${VAR:-default}` filled in and our own registry left off."""
    reference = _DEFAULTED.sub(lambda m: m.group(1), reference)
    for registry in ("ghcr.io/flmnchll/", "flmnchll/"):
        if reference.startswith(registry):
            return reference[len(registry):]
    return reference


def mounted_secrets(spec: dict[str, Any]) -> list[str]:
    """The secrets a pod mounts as files or takes as environment values."""
    names = [item["key"] for volume in spec.get("volumes", []) for item in volume.get("secret", {}).get("items", [])]
    for entry in spec["containers"][0].get("env", []):
        ref = entry.get("valueFrom", {}).get("secretKeyRef")
        if ref:
            names.append(ref["key"])
    return names


# --- images ---------------------------------------------------------------------------------------------------

COMPOSE_IMAGES = {"tusd": TUSD, "redis": REDIS, "mongo": MONGO, "coturn": COTURN, "front": FRONT,
                  "peer-0": PEER, "peer-1": PEER, "workers-transcode": WORKERS, "workers-downscale": WORKERS,
                  "volume-init": WORKERS}
K8S_IMAGES = {("Deployment", "tusd"): TUSD, ("Deployment", "coturn"): COTURN, ("Deployment", "front"): FRONT,
              ("StatefulSet", "peer"): PEER, ("Deployment", "workers-transcode"): WORKERS,
              ("Deployment", "workers-downscale"): WORKERS}


@pytest.mark.parametrize("service", sorted(COMPOSE_IMAGES))
def test_compose_images(service: str) -> None:
    assert image(SERVICES[service]["image"]) == COMPOSE_IMAGES[service].image, f"compose {service}"


@pytest.mark.parametrize("key", sorted(K8S_IMAGES), ids=lambda key: key[1])
def test_kubernetes_images(key: tuple[str, str]) -> None:
    assert image(container(*key)["image"]) == K8S_IMAGES[key].image, f"{key[0]} {key[1]}"


def test_every_function_has_its_compose_service_and_image() -> None:
    for name in components.function_names():
        assert name in SERVICES, f"stack.yml's {name} has no compose service"
        assert image(SERVICES[name]["image"]) == f"{name}:{components.VERSION}"


# --- tusd: command line and the headers its hooks forward -------------------------------------------------------

def test_compose_tusd_command_is_the_definition() -> None:
    assert SERVICES["tusd"]["command"] == components.TUSD_COMPOSE


def test_kubernetes_tusd_args_are_the_definition() -> None:
    tusd = container("Deployment", "tusd")
    assert tusd["args"] == components.TUSD_PRODUCTION
    assert [port["containerPort"] for port in tusd["ports"]] == [TUSD.port]
    assert tusd["readinessProbe"]["httpGet"]["path"] == TUSD.health
    assert [port["port"] for port in K8S[("Service", "tusd")]["spec"]["ports"]] == [TUSD.port]


@pytest.mark.parametrize("args", [components.TUSD_COMPOSE, components.TUSD_PRODUCTION], ids=["compose", "kubernetes"])
def test_tusd_forwards_what_upload_hook_checks(args: list[str]) -> None:
    """upload-hook refuses a hook without the service key: tusd must pass it on with the uploader's token."""
    forwarded = next(arg for arg in args if arg.startswith("-hooks-http-forward-headers="))
    assert set(forwarded.split("=", 1)[1].split(",")) == {"Authorization", components.SERVICE_HEADER}


# --- workers --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("queue", components.QUEUES)
def test_workers(queue: str) -> None:
    name = f"workers-{queue}"
    assert SERVICES[name]["command"] == components.worker_args(queue)
    assert sorted(SERVICES[name]["secrets"]) == sorted(WORKERS.secrets), f"compose {name}"
    spec = pod("Deployment", name)
    assert spec["containers"][0]["args"] == components.worker_args(queue)
    assert spec["containers"][0]["livenessProbe"]["exec"]["command"] == WORKERS.health.split()
    assert sorted(mounted_secrets(spec)) == sorted(WORKERS.secrets), f"kubernetes {name}"
    own = {entry["name"]: entry["value"] for entry in spec["containers"][0].get("env", [])}
    assert own == WORKERS.environment, f"kubernetes {name}"
    compose_own = {key: value for key, value in SERVICES[name]["environment"].items() if key in WORKERS.environment}
    assert compose_own == {key: f"${{{key}:-{value}}}" for key, value in WORKERS.environment.items()}


# --- PeerJS pool ----------------------------------------------------------------------------------------------

def test_peer_pool() -> None:
    for member in ("peer-0", "peer-1"):
        assert SERVICES[member]["environment"] == {**PEER.environment, "SECRETS_DIR": COMPOSE_SECRETS}
        assert SERVICES[member]["secrets"] == list(PEER.secrets)
    peer = container("StatefulSet", "peer")
    assert {entry["name"]: entry["value"] for entry in peer["env"]} == PEER.environment
    assert [port["containerPort"] for port in peer["ports"]] == [PEER.port]
    assert peer["readinessProbe"]["httpGet"]["path"] == PEER.health
    assert peer["livenessProbe"]["httpGet"]["path"] == PEER.health
    assert mounted_secrets(pod("StatefulSet", "peer")) == list(PEER.secrets)


# --- coturn ---------------------------------------------------------------------------------------------------

def _flag(args: list[str], name: str) -> str:
    return next(arg.split("=", 1)[1] for arg in args if arg.startswith(f"--{name}="))


def test_coturn() -> None:
    args = container("Deployment", "coturn")["args"]
    assert args == components.coturn_args(_flag(args, "static-auth-secret"), _flag(args, "realm"))
    assert mounted_secrets(pod("Deployment", "coturn")) == list(COTURN.secrets)
    line = SERVICES["coturn"]["entrypoint"][-1]
    assert line.startswith("exec turnserver ")
    compose_args = shlex.split(line.removeprefix("exec turnserver "))
    secret = _flag(compose_args, "static-auth-secret")
    assert f"/run/secrets/{COTURN.secrets[0]}" in secret
    assert compose_args == components.coturn_args(secret, _flag(compose_args, "realm"))
    assert SERVICES["coturn"]["secrets"] == list(COTURN.secrets)


# --- redis ----------------------------------------------------------------------------------------------------

def test_compose_redis() -> None:
    redis = SERVICES["redis"]
    assert redis["secrets"] == list(REDIS.secrets)
    line = redis["command"][-1]
    for setting, value in components.REDIS_SETTINGS.items():
        assert f"--{setting} {value}" in line
    assert f"/run/secrets/{REDIS.secrets[0]}" in line and "--requirepass" in line


# --- the front door: what it is given (its template is ops/front_door.py's) -------------------------------------

def test_front_door_secrets() -> None:
    assert sorted(SERVICES["front"]["secrets"]) == sorted(FRONT.secrets)
    front = pod("Deployment", "front")
    assert sorted(mounted_secrets(front)) == sorted(FRONT.secrets)
    assert front["containers"][0]["readinessProbe"]["httpGet"]["path"] == FRONT.health
    assert front["containers"][0]["ports"][0]["containerPort"] == FRONT.port


# --- the functions' environment and secrets (stack.yml) ----------------------------------------------------------

def test_compose_environment_names_what_the_functions_read() -> None:
    assert set(COMPOSE["x-env"]) == {*components.function_environment(), "SECRETS_DIR"}
    assert COMPOSE["x-env"]["SECRETS_DIR"] == COMPOSE_SECRETS


def test_the_cluster_settings_are_the_functions_settings() -> None:
    """Workers and functions must agree (one database, one Redis, one media folder, one bucket)."""
    config = K8S[("ConfigMap", "flmnchll-config")]["data"]
    assert config.pop("SECRETS_DIR") == components.SECRETS_MOUNT
    assert config == components.function_environment()


def test_the_local_stack_takes_the_service_settings_as_deployed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The local stack's functions get stack.yml's value of each service setting, or the starting shell's."""
    from ops.instance import SERVICE_SETTINGS, Instance

    instance = Instance.load("parity")
    for name in SERVICE_SETTINGS:
        monkeypatch.delenv(name, raising=False)
        assert instance.environment()[name] == components.function_environment()[name]
        monkeypatch.setenv(name, "42")
        assert instance.environment()[name] == "42"


def test_compose_functions_get_what_stack_yml_grants() -> None:
    for name, granted in components.function_secrets().items():
        assert sorted(SERVICES[name]["secrets"]) == sorted(granted), f"compose {name}"


def test_every_secret_is_declared_where_it_is_mounted() -> None:
    used_by_pieces = {*WORKERS.secrets, *PEER.secrets, *COTURN.secrets, *FRONT.secrets, *REDIS.secrets}
    used_by_functions = {secret for granted in components.function_secrets().values() for secret in granted}
    assert set(COMPOSE["secrets"]) == used_by_pieces | used_by_functions
    assert set(K8S[("Secret", "flmnchll-secrets")]["stringData"]) == used_by_pieces
    function_secrets = {name for (kind, name), doc in K8S.items()
                        if kind == "Secret" and doc["metadata"]["namespace"] == "openfaas-fn"}
    assert function_secrets == used_by_functions
