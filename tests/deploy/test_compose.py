"""deploy/docker-compose.yml: checked offline here, and brought up for real where a Docker engine answers.

The integration tests use pytest-docker (`docker_services`); on a machine without a reachable Docker engine
they are skipped with that reason, and the offline checks still hold the file to stack.yml and the images.
"""

from __future__ import annotations

import os
import re
import secrets as random
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from tests.deploy.conftest import DEPLOY, REPO, run_faas_cli, stack_copy

COMPOSE = DEPLOY / "docker-compose.yml"
SECRET_NAMES = ("redis-password", "admin-task-key", "service-key", "peer-token-key", "turn-secret", "media-secret",
                "s3-access-key", "s3-secret-key")


def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


def docker_engine() -> str | None:
    """Why Docker cannot be used here, or None when it can."""
    if not shutil.which("docker"):
        return "no docker client on this machine"
    try:
        answer = subprocess.run(["docker", "info", "--format", "{{.ServerVersion}}"], capture_output=True,
                                text=True, timeout=15, check=False)
    except subprocess.TimeoutExpired:
        return "the Docker engine did not answer within 15 s"
    if answer.returncode != 0:
        last = (answer.stderr.strip().splitlines() or ["docker info failed"])[-1]
        return f"no reachable Docker engine ({last})"
    return None


def test_every_function_is_a_service() -> None:
    functions = set(yaml.safe_load((REPO / "stack.yml").read_text())["functions"])
    services = compose()["services"]
    assert functions <= set(services)
    for name in functions:
        assert services[name]["build"] == f"../build/{name}"


def test_images_are_pinned_and_pieces_present() -> None:
    services = compose()["services"]
    assert {"mongo", "redis", "tusd", "peer-0", "peer-1", "coturn", "front", "workers-transcode",
            "workers-downscale"} <= set(services)
    assert services["workers-transcode"]["command"] == ["transcode"]
    assert services["workers-downscale"]["command"] == ["downscale"]
    for name, service in services.items():
        image = service.get("image", "")
        assert image and ":" in image and not image.endswith(":latest"), name


def test_secrets_are_files_never_values() -> None:
    data = compose()
    assert set(data["secrets"]) == set(SECRET_NAMES)
    for name in SECRET_NAMES:
        assert "file" in data["secrets"][name]
    # a secret on a command line or in the environment is only ever read from its mounted file
    inline = re.findall(r"(?i)(?:password|secret)=(?!\\?\"\$\$\(cat /run/secrets/)\S+", COMPOSE.read_text())
    assert not inline, inline


def test_no_service_mounts_the_root_secret() -> None:
    """Threat model, row "Least privilege"; what each service mounts is held to stack.yml and ops/components.py
    by test_parity.py."""
    services = compose()["services"]
    assert not any("internal-api-secret" in (service.get("secrets") or []) for service in services.values())


# ---- integration: only where a Docker engine answers ----------------------------------------------------

ENGINE_PROBLEM = docker_engine()
needs_docker = pytest.mark.skipif(ENGINE_PROBLEM is not None, reason=f"Docker unavailable: {ENGINE_PROBLEM}")


@pytest.fixture(scope="session")
def docker_compose_file() -> str:
    return str(COMPOSE)


@pytest.fixture(scope="session")
def docker_compose_project_name() -> str:
    return f"flmnchll-test-{random.token_hex(3)}"


@pytest.fixture(scope="session")
def docker_setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[str]]:
    """Secrets for the run, and the function contexts the compose file builds from."""
    folder = tmp_path_factory.mktemp("compose-secrets")
    for name in SECRET_NAMES:
        (folder / name).write_text(random.token_urlsafe(24))
        (folder / name).chmod(0o644)  # bind-mounted into containers that run as other users
    work = stack_copy(tmp_path_factory.mktemp("compose-build"))
    answer = run_faas_cli(["build", "--shrinkwrap", "-f", "stack.yml"], work)
    assert answer.returncode == 0, answer.stderr
    build = REPO / "build"
    if build.exists():
        shutil.rmtree(build)
    shutil.copytree(work / "build", build)
    os.environ["FLMNCHLL_SECRETS"] = str(folder)
    os.environ.setdefault("FRONT_PORT", "18000")
    yield ["up -d --build --wait"]


@needs_docker
def test_front_door_answers(docker_services: Any, docker_ip: str) -> None:
    port = docker_services.port_for("front", 8080)
    url = f"http://{docker_ip}:{port}"
    docker_services.wait_until_responsive(
        check=lambda: _ok(f"{url}/healthz"), timeout=300.0, pause=2.0)
    assert requests.get(f"{url}/", timeout=10).status_code == 200
    clock = requests.post(f"{url}/function/clock", json={"t0": 1}, timeout=10)
    assert clock.status_code == 200 and "t1" in clock.json()


@needs_docker
def test_signup_and_login_through_the_front_door(docker_services: Any, docker_ip: str) -> None:
    url = f"http://{docker_ip}:{docker_services.port_for('front', 8080)}"
    docker_services.wait_until_responsive(check=lambda: _ok(f"{url}/healthz"), timeout=300.0, pause=2.0)
    user = {"username": f"u{random.token_hex(4)}", "password": random.token_urlsafe(12)}
    assert requests.post(f"{url}/function/signup", json=user, timeout=30).status_code == 201
    login = requests.post(f"{url}/function/login", json=user, timeout=30)
    assert login.status_code == 200 and login.json()["token"]


@needs_docker
def test_media_links_must_be_signed(docker_services: Any, docker_ip: str) -> None:
    url = f"http://{docker_ip}:{docker_services.port_for('front', 8080)}"
    docker_services.wait_until_responsive(check=lambda: _ok(f"{url}/healthz"), timeout=300.0, pause=2.0)
    assert requests.get(f"{url}/media/x/720p.mp4", timeout=10).status_code == 403


def _ok(url: str) -> bool:
    try:
        return requests.get(url, timeout=3).status_code == 200
    except requests.RequestException:
        return False


def test_engine_state_is_reported() -> None:
    """Makes the reason visible in the run's summary when the integration tests are skipped."""
    if ENGINE_PROBLEM is not None:
        pytest.skip(f"Docker unavailable: {ENGINE_PROBLEM}; compose integration tests skipped")
    assert Path(COMPOSE).is_file()
