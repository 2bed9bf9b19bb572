"""The production path, run here without Docker: what deploy/ runs, started as local processes.

tusd takes the Kubernetes manifest's arguments, the workers the manifest's arguments, settings (the ConfigMap)
and secrets (only the items the manifest mounts), the functions are deployed from stack.yml with faas-cli onto
the real gateway (standing in for OpenFaaS, each function getting only the secrets stack.yml grants), and
the front door is the production nginx template filled in as the nginx image does at start. Only addresses,
ports and folders are rewritten; everything else is as deployed, and nothing the local stack adds is used:
the test client sends no header of its own.

Through that front door a film is uploaded with a tus client, transcoded by the workers and played through
the signed link list-content hands out, on local storage and on S3 (SeaweedFS).
"""

from __future__ import annotations

import getpass
import json
import os
import re
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pytest
import requests
import yaml

from flmnchll.content.tus import upload_file
from ops import components, seaweedfs, secrets
from ops.control import link_templates
from ops.instance import REPO, S3_BUCKET
from tests.content.conftest import lavfi, make_clip
from tests.deploy.conftest import DEPLOY, clean_env, faas_cli
from tests.faas_harness import LocalFaaS, free_port, free_port_block

pytestmark = pytest.mark.slow

FRONT_TEMPLATE = DEPLOY / "nginx" / "front.conf.template"
#: the front door's one template (ops/front_door.py) says so in its first line


def manifest(name: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all((DEPLOY / "kubernetes" / name).read_text()) if doc]


def deployment(file: str, name: str) -> dict[str, Any]:
    return next(doc for doc in manifest(file) if doc["kind"] == "Deployment" and doc["metadata"]["name"] == name)


def front_door_template() -> str:
    """deploy/'s front door, as committed (rendered from the one template the local stack runs too)."""
    return FRONT_TEMPLATE.read_text()


def readdressed(args: list[str], addresses: dict[str, str | None]) -> list[str]:
    """The manifest's flags with these ones' values replaced (None: dropped); each must be in the manifest."""
    present = {arg.split("=", 1)[0] for arg in args}
    missing = set(addresses) - present
    assert not missing, f"the manifest no longer has {sorted(missing)}"
    out = []
    for arg in args:
        flag = arg.split("=", 1)[0]
        if flag not in addresses:
            out.append(arg)
        elif addresses[flag] is not None:
            out.append(f"{flag}={addresses[flag]}")
    return out


def dockerfile_entrypoint(path: Path) -> list[str]:
    found = re.findall(r"(?m)^ENTRYPOINT\s+(\[.*\])\s*$", path.read_text())
    return json.loads(found[-1])


@dataclass
class Processes:
    """Every process this test starts, stopped together; each logs to its own file."""

    logs: Path
    started: list[tuple[subprocess.Popen[bytes], IO[bytes]]] = field(default_factory=list)

    def start(self, name: str, command: list[str], env: dict[str, str], cwd: Path = REPO) -> None:
        log = (self.logs / f"{name}.log").open("ab")
        process = subprocess.Popen(command, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        self.started.append((process, log))

    def stop(self) -> None:
        for process, _ in reversed(self.started):
            process.terminate()
        for process, log in reversed(self.started):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
            log.close()


def wait_http(url: str, timeout: float = 30.0, ok: tuple[int, ...] = (200,)) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if requests.get(url, timeout=2).status_code in ok:
                return
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"{url} did not answer within {timeout}s")
        time.sleep(0.2)


def piece_secrets(all_secrets: Path, folder: Path, names: list[str]) -> Path:
    """A folder holding only `names`, as a pod's secret volume with those items."""
    folder.mkdir(mode=0o700)
    for name in names:
        (folder / name).symlink_to(all_secrets / name)
    return folder


def mounted_items(pod_spec: dict[str, Any]) -> list[str]:
    return [item["key"] for volume in pod_spec.get("volumes", []) for item in volume.get("secret", {}).get("items", [])]


def nginx_envsubst(text: str, values: dict[str, str]) -> str:
    """The nginx image's start: `${NAME}` replaced for the variables set, every other `$` left as written."""
    return re.sub(r"\$\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), text)


def resolvers() -> str:
    """What the nginx image's entrypoint puts in NGINX_LOCAL_RESOLVERS: the nameservers of resolv.conf."""
    found = re.findall(r"(?m)^nameserver\s+(\S+)", Path("/etc/resolv.conf").read_text())
    return " ".join(found) or "127.0.0.1"


PYTHON = str(REPO / ".venv" / "bin" / "python")
TOOLS = REPO / ".tools" / "bin"


class Cluster:
    """deploy/'s pieces on loopback in `root`, for one storage mode; `start()` brings them up in order."""

    def __init__(self, root: Path, storage: str) -> None:
        self.root, self.storage = root, storage
        self.logs, self.data = root / "logs", root / "data"
        for folder in (self.logs, self.data / "uploads", self.data / "media", self.data / "ferretdb",
                       self.data / "s3", root / "faas"):
            folder.mkdir(parents=True)
        self.processes = Processes(self.logs)
        # The OpenFaaS stand-in: the real gateway with its async worker and cron connector. Its secrets folder
        # is the operator's store, provisioned as `python -m flmnchll.keys` does (every purpose key from the root).
        self.faas = LocalFaaS(root / "faas", [REPO / "functions"])
        self.ports = {"mongo": free_port(), "tusd": free_port(), "front": free_port(), "s3": free_port_block(11)}
        self.front_url = f"http://127.0.0.1:{self.ports['front']}"
        self.s3_url = f"http://127.0.0.1:{self.ports['s3']}" if storage == "s3" else ""
        self.base_env = {**clean_env(), "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
        self.settings: dict[str, str] = {}

    def secret(self, name: str) -> str:
        return secrets.read(self.faas.secrets_dir, name)

    def start(self) -> None:
        self.faas.start()
        self.start_services()
        self.settings = self.cluster_settings()
        self.deploy_functions()
        self.start_workers()
        self.start_tusd()
        self.start_front_door()

    def stop(self) -> None:
        self.processes.stop()
        self.faas.stop()

    def start_services(self) -> None:
        """The cluster's managed services: MongoDB (FerretDB here), Redis (the harness's), S3 (SeaweedFS)."""
        self.processes.start("ferretdb", [str(TOOLS / "ferretdb"), "-listen-addr", f"127.0.0.1:{self.ports['mongo']}",
                                          "-sqlite-dir", str(self.data / "ferretdb")], dict(os.environ))
        if self.storage == "s3":
            config = self.root / "s3.json"
            config.write_text(seaweedfs.identities(self.secret("s3-access-key"), self.secret("s3-secret-key")))
            inner = [self.ports["s3"] + step for step in range(1, len(seaweedfs.INNER_PORTS) + 1)]
            self.processes.start("s3", seaweedfs.command(TOOLS / "weed", self.data / "s3", config, self.ports["s3"],
                                                         inner), dict(os.environ))
            wait_http(self.s3_url, 60, ok=(200, 403))

    def cluster_settings(self) -> dict[str, str]:
        """The ConfigMap, re-addressed: only values that name a place change."""
        config_map = next(doc for doc in manifest("02-config.yaml") if doc["kind"] == "ConfigMap")["data"]
        on_s3 = self.storage == "s3"
        addresses = {
            "MONGODB_URI": f"mongodb://127.0.0.1:{self.ports['mongo']}/flmnchll",
            "REDIS_URL": f"redis://127.0.0.1:{self.faas.redis_port}/0",
            "GATEWAY_URL": self.faas.gateway_url,
            "PUBLIC_URL": self.front_url,
            "DATA_DIR": str(self.data),
            "MEDIA_DIR": str(self.data / "media"),
            "UPLOAD_DIR": str(self.data / "uploads"),
            "PEER_HOST": "127.0.0.1",
            "TURN_HOST": "127.0.0.1",
            "STORAGE_BACKEND": self.storage,
            "S3_ENDPOINT_URL": self.s3_url,
            "S3_PUBLIC_URL": self.s3_url,
            "S3_BUCKET": S3_BUCKET if on_s3 else "",
        }
        assert set(addresses) <= set(config_map), "only settings the cluster has are re-addressed"
        return {**config_map, **addresses}

    def operator(self, module: str, *args: str) -> None:
        """An operator's step (docs/production.md), with the cluster's settings and every secret."""
        env = {**self.base_env, **self.settings, "SECRETS_DIR": str(self.faas.secrets_dir)}
        subprocess.run([PYTHON, "-m", module, *args], env=env, cwd=REPO, check=True, timeout=60)

    def deploy_functions(self) -> None:
        """stack.yml, deployed with faas-cli from a shell that exports the cluster's settings; then the bucket
        and the first admin, as an operator prepares them."""
        if self.storage == "s3":
            self.operator("flmnchll.storage", "prepare-bucket")
        link_templates()
        gateway = self.faas.gateway_url
        env = {**clean_env(), **self.settings, "OPENFAAS_CONFIG": str(self.root / "faas-cli"), "OPENFAAS_URL": gateway}
        subprocess.run([str(faas_cli()), "login", "--username", "admin", "--password-stdin", "-g", gateway],
                       input=self.secret("basic-auth-password").encode(), env=env, cwd=REPO, check=True,
                       capture_output=True, timeout=60)
        deployed = subprocess.run([str(faas_cli()), "deploy", "-f", "stack.yml", "-g", gateway], env=env, cwd=REPO,
                                  capture_output=True, text=True, timeout=300)
        assert deployed.returncode == 0, deployed.stdout + deployed.stderr
        for name in components.function_names():
            self.faas.wait_ready(name, 1, timeout=120)
        self.operator("flmnchll.accounts", "ensure-admin")

    def start_workers(self) -> None:
        """The image's entrypoint with the manifest's arguments, settings and secret items."""
        entrypoint = dockerfile_entrypoint(REPO / "workers" / "Dockerfile")
        assert entrypoint[0] == "python"
        for queue in components.QUEUES:
            spec = deployment("10-workers.yaml", f"workers-{queue}")["spec"]["template"]["spec"]
            folder = piece_secrets(self.faas.secrets_dir, self.root / f"secrets-{queue}", mounted_items(spec))
            env = {**self.base_env, **self.settings, "SECRETS_DIR": str(folder)}
            self.processes.start(f"workers-{queue}", [PYTHON, *entrypoint[1:], *spec["containers"][0]["args"]], env)

    def start_tusd(self) -> None:
        """The manifest's arguments, re-addressed (on S3: the store the manifest's comment names)."""
        tusd = deployment("40-tusd.yaml", "tusd")["spec"]["template"]["spec"]["containers"][0]
        env = dict(clean_env())
        args = readdressed(tusd["args"], {
            "-host": "127.0.0.1", "-port": str(self.ports["tusd"]),
            "-hooks-http": f"{self.faas.gateway_url}/function/upload-hook",
            "-upload-dir": str(self.data / "uploads") if self.storage == "local" else None,
        })
        if self.storage == "s3":
            args += components.s3_store(S3_BUCKET, self.s3_url)
            env.update(AWS_ACCESS_KEY_ID=self.secret("s3-access-key"),
                       AWS_SECRET_ACCESS_KEY=self.secret("s3-secret-key"), AWS_REGION=self.settings["S3_REGION"])
        self.processes.start("tusd", [str(TOOLS / "tusd"), *args], env)

    def start_front_door(self) -> None:
        """The production template as the nginx image renders it, listening on loopback."""
        site = nginx_envsubst(front_door_template(), {
            "FUNCTION_UPSTREAM": f"{self.faas.gateway_url}/function/$fn",
            "TUSD_UPSTREAM": f"http://127.0.0.1:{self.ports['tusd']}",
            "PEER_HOST_PREFIX": "peer-", "PEER_HOST_SUFFIX": ".invalid",
            "MEDIA_ROOT": str(self.data / "media"),
            "MEDIA_SECRET": self.secret("media-secret"),
            "SERVICE_KEY": self.secret("service-key"),
            "S3_PUBLIC_URL": self.s3_url,
            "NGINX_LOCAL_RESOLVERS": resolvers(),
        })
        app = self.root / "app"  # the image's built app; the path under test needs only its routes
        app.mkdir()
        (app / "index.html").write_text("<!doctype html><title>FLMnCHLL</title>\n")
        site = site.replace("root /usr/share/nginx/html;", f"root {app};")
        site = re.sub(r"(?m)^(\s*)listen 8080;$", rf"\1listen 127.0.0.1:{self.ports['front']};", site)
        probes = iter(range(free_port_block(10), 65536))
        site = re.sub(r"(?m)^(\s*)listen 900\d;$", lambda m: f"{m.group(1)}listen 127.0.0.1:{next(probes)};", site)
        (self.root / "front.conf").write_text(site)
        temp = self.root / "nginx-temp"
        temp.mkdir()
        error_log = self.logs / "nginx-error.log"
        (self.root / "nginx.conf").write_text("\n".join([
            f"user {getpass.getuser()};", "worker_processes 1;", "daemon off;", f"pid {self.root / 'nginx.pid'};",
            f"error_log {error_log};", "events { worker_connections 256; }", "http {",
            *(f"    {kind}_temp_path {temp / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")),
            f"    include {self.root / 'front.conf'};", "}", ""]))
        self.processes.start("front", ["nginx", "-e", str(error_log), "-c", str(self.root / "nginx.conf")],
                             dict(os.environ))
        wait_http(f"{self.front_url}/healthz")


@pytest.fixture(scope="module", params=["local", "s3"])
def production(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    cluster = Cluster(tmp_path_factory.mktemp(f"production-{request.param}"), request.param)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


def test_a_film_is_uploaded_transcoded_and_played(production: Cluster, tmp_path: Path) -> None:
    front = production.front_url
    login = requests.post(f"{front}/function/login",
                          json={"username": "admin", "password": production.secret("admin-password")}, timeout=30)
    assert login.status_code == 200, login.text
    token = login.json()["token"]
    film = make_clip(tmp_path, "film.mp4", *lavfi("320x240", 2), "-c:v", "libx264", "-preset", "ultrafast",
                     "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest")

    upload = upload_file(f"{front}/uploads/", film, token, {"title": "the production path"})
    assert upload.content_id, "tusd's pre-finish hook answered no item id"

    deadline = time.monotonic() + 240
    while True:
        listed = requests.get(f"{front}/function/list-content/{upload.content_id}",
                              headers={"Authorization": f"Bearer {token}"}, timeout=30)
        assert listed.status_code == 200, listed.text
        item = listed.json()
        if item["status"] in ("ready", "failed") or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert item["status"] == "ready", item

    rendition = next(r for r in item["renditions"] if r["container"] == "mp4")
    url = requests.compat.urljoin(front + "/", rendition["url"])
    played = requests.get(url, headers={"Range": "bytes=0-1023"}, timeout=30)
    assert played.status_code == 206, (played.status_code, played.text[:200])
    probed = subprocess.run(["ffprobe", "-v", "error", "-show_streams", "-of", "json", url], capture_output=True,
                            text=True, check=True, timeout=60)
    streams = json.loads(probed.stdout)["streams"]
    assert any(stream["codec_type"] == "video" for stream in streams)
    unsigned = requests.get(url.split("?", 1)[0], timeout=30)
    assert unsigned.status_code in (401, 403), "media must not be served without a signed link"
