"""The production front door: one template with the local one, committed as rendered, run in a real nginx.

deploy/nginx/front.conf.template must be exactly what `python -m ops.front_door` makes from the template the
local stack runs. Then the production rendering itself (its parameters, with a loopback listener instead of
the container's port 8080) runs in Debian's nginx in front of a small echo server, which says what reached
it: who the client is when a trusted proxy or an untrusted one forwards, the service key on uploads, and the
browser hardening headers on every answer.
"""

from __future__ import annotations

import getpass
import http.client
import json
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ops import front_door
from ops.instance import Instance
from tests.deploy.test_images import render_template

TRUSTED_PROXY = "127.0.0.1"  # the front door's test listener is on loopback: this address plays the ingress
UNTRUSTED_HOP = "127.0.0.2"  # another loopback address, not in the trusted ranges
SERVICE_KEY = "service-key-for-the-test"
S3_PUBLIC_URL = "https://media.example.net"
CLIENT = "198.51.100.7"
SPOOFED = "203.0.113.66"


def test_the_committed_production_front_door_is_a_fresh_rendering() -> None:
    assert front_door.PRODUCTION_FILE.read_text() == front_door.render_production(), (
        "deploy/nginx/front.conf.template is stale: run `.venv/bin/python -m ops.front_door`")


def location(config: str, opening: str) -> str:
    """The text of the location block that starts with `opening`."""
    start = config.index(opening)
    return config[start:config.index("\n    }\n", start)]


def test_both_front_doors_add_the_service_key_on_uploads() -> None:
    local = front_door.render(front_door.local(Instance.load("test"), media_secret="m", service_key="local-key"))
    assert 'proxy_set_header X-Internal-Secret "local-key";' in location(local, "location /uploads/")
    production = location(front_door.PRODUCTION_FILE.read_text(), "location /uploads/")
    assert 'proxy_set_header X-Internal-Secret "${SERVICE_KEY}";' in production


def test_production_believes_forwarded_for_only_from_the_configured_ranges() -> None:
    rendered = front_door.render_production(("192.0.2.0/24", "2001:db8::/32"))
    server = rendered[rendered.index("server {"):]
    assert "set_real_ip_from 192.0.2.0/24;" in server and "set_real_ip_from 2001:db8::/32;" in server
    assert "real_ip_header X-Forwarded-For;" in server and "real_ip_recursive on;" in server
    assert rendered.count("set_real_ip_from") == 2
    for route in ("location /function/", "location /uploads/", "location ~ ^/peerjs/"):
        assert "proxy_set_header X-Real-IP $remote_addr;" in location(rendered, route)
    local = front_door.render(front_door.local(Instance.load("test"), media_secret="m", service_key="k"))
    assert "set_real_ip_from" not in local  # nothing stands in front of the local stack


# ---- the production rendering in a real nginx ----------------------------------------------------------


class Echo(BaseHTTPRequestHandler):
    """Answers every request with what reached it: method, path and headers."""

    def answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        body = json.dumps({"method": self.command, "path": self.path, "headers": dict(self.headers)}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = answer

    def log_message(self, format: str, *args: object) -> None:
        pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Front:
    port: int
    echo_port: int

    def request(self, path: str, *, source: str = TRUSTED_PROXY, method: str = "GET",
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10, source_address=(source, 0))
        try:
            connection.request(method, path, headers=headers or {})
            response = connection.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            connection.close()

    def echoed(self, path: str, **kwargs: object) -> dict[str, str]:
        status, _, body = self.request(path, **kwargs)  # type: ignore[arg-type]
        assert status == 200, body[:300]
        return {k.lower(): v for k, v in json.loads(body)["headers"].items()}


@pytest.fixture(scope="module")
def front(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Front]:
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if not nginx:
        pytest.skip("nginx is not installed (scripts/install.sh installs Debian's)")
    folder = tmp_path_factory.mktemp("front-door")
    echo = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=echo.serve_forever, daemon=True).start()
    echo_port = echo.server_address[1]
    port = free_port()
    (folder / "html").mkdir()
    (folder / "html" / "index.html").write_text("<!doctype html><title>app</title>")
    door = replace(front_door.PRODUCTION, listen=f"127.0.0.1:{port}", access_log=str(folder / "access.log"),
                   trusted_proxies=(f"{TRUSTED_PROXY}/32",), pool_probe_ports=())
    values = {  # what the image's entrypoint fills in from the container's environment
        "FUNCTION_UPSTREAM": f"http://127.0.0.1:{echo_port}/function/$fn",
        "TUSD_UPSTREAM": f"http://127.0.0.1:{echo_port}",
        "PEER_HOST_PREFIX": "127.0.0.1", "PEER_HOST_SUFFIX": "",  # member N: 127.0.0.1N:9000, where none listens
        "MEDIA_ROOT": str(folder / "media"), "MEDIA_SECRET": "not-a-secret", "SERVICE_KEY": SERVICE_KEY,
        "S3_PUBLIC_URL": S3_PUBLIC_URL, "NGINX_LOCAL_RESOLVERS": "127.0.0.1",
    }
    rendered = render_template(front_door.render(door), values).replace("/usr/share/nginx/html", str(folder / "html"))
    assert "${" not in rendered
    (folder / "front-door.conf").write_text(rendered)
    for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (folder / "nginx" / name).mkdir(parents=True)
    (folder / "nginx.conf").write_text((front_door.TEMPLATES / "nginx.conf").read_text()
                                       .replace("$user", getpass.getuser()).replace("$run_dir", str(folder))
                                       .replace("$front_door", str(folder / "front-door.conf")))
    process = subprocess.Popen([nginx, "-p", str(folder), "-e", "stderr", "-c", str(folder / "nginx.conf"),
                                "-g", "daemon off;"], stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert process.poll() is None, process.communicate()[1]
                assert time.monotonic() < deadline, "nginx did not start listening"
                time.sleep(0.05)
        yield Front(port, echo_port)
    finally:
        process.terminate()
        process.wait(10)
        echo.shutdown()


def test_a_trusted_proxy_names_the_client(front: Front) -> None:
    seen = front.echoed("/function/login", method="POST", headers={"X-Forwarded-For": CLIENT})
    assert seen["x-real-ip"] == CLIENT and seen["x-forwarded-for"] == CLIENT


def test_what_the_client_wrote_before_the_proxy_is_ignored(front: Front) -> None:
    seen = front.echoed("/function/login", method="POST", headers={"X-Forwarded-For": f"{SPOOFED}, {CLIENT}"})
    assert seen["x-real-ip"] == CLIENT and SPOOFED not in seen["x-forwarded-for"]


def test_an_untrusted_hop_cannot_name_the_client(front: Front) -> None:
    seen = front.echoed("/function/login", method="POST", source=UNTRUSTED_HOP,
                        headers={"X-Forwarded-For": CLIENT, "X-Real-IP": CLIENT})
    assert seen["x-real-ip"] == UNTRUSTED_HOP and seen["x-forwarded-for"] == UNTRUSTED_HOP


def test_uploads_carry_the_service_key_and_functions_never_do(front: Front) -> None:
    assert front.echoed("/uploads/", method="POST")["x-internal-secret"] == SERVICE_KEY
    forged = front.echoed("/function/upload-hook", method="POST", headers={"X-Internal-Secret": SERVICE_KEY})
    assert "x-internal-secret" not in forged


def test_a_function_gets_its_path_as_the_browser_wrote_it(front: Front) -> None:
    status, _, body = front.request("/function/room/abc%20def/join?q=a%20b&n=1")
    assert status == 200 and json.loads(body)["path"] == "/function/room/abc%20def/join?q=a%20b&n=1"
    assert json.loads(front.request("/function/clock")[2])["path"] == "/function/clock/"
    assert front.request("/function/%63lock")[0] == 404  # a function's name is written plainly


def test_the_browser_scheme_comes_from_the_proxy_that_ends_tls(front: Front) -> None:
    assert front.echoed("/uploads/", method="POST", headers={"X-Forwarded-Proto": "https"})[
        "x-forwarded-proto"] == "https"
    _, headers, _ = front.request("/", headers={"X-Forwarded-Proto": "https", "Host": "watch.example.com"})
    assert "connect-src 'self' wss://watch.example.com/peerjs/ " in headers["content-security-policy"]


def test_a_malformed_host_cannot_reshape_the_policy(front: Front) -> None:
    _, headers, _ = front.request("/", headers={"Host": "a;script-src"})
    assert f"connect-src 'self' {S3_PUBLIC_URL};" in headers["content-security-policy"]
    assert "script-src" not in headers["content-security-policy"]


def assert_browser_hardening(headers: Mapping[str, str], host: str, media_origins: tuple[str, ...] = ()) -> None:
    """The policy and headers both front doors send on every answer (`headers`: lower-case names, or requests')."""
    policy = {part.split()[0]: part.split()[1:] for part in headers["content-security-policy"].split("; ")}
    assert policy["default-src"] == ["'self'"]
    assert "'unsafe-inline'" not in headers["content-security-policy"]
    assert policy["media-src"] == ["'self'", "blob:", *media_origins]
    assert policy["img-src"] == ["'self'", "data:", "blob:", *media_origins]
    assert policy["connect-src"] == ["'self'", f"ws://{host}/peerjs/", *media_origins]
    assert policy["worker-src"] == ["'self'", "blob:"]
    for directive, value in (("frame-ancestors", "'none'"), ("base-uri", "'none'"), ("object-src", "'none'"),
                             ("form-action", "'self'")):
        assert policy[directive] == [value]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"


@pytest.mark.parametrize(("path", "status"), [("/", 200), ("/rooms/abc", 200), ("/assets/missing.js", 404),
                                              ("/media/a/720p.mp4", 403), ("/function/clock", 200),
                                              ("/peerjs/9001/peerjs/id", 502), ("/peerjs/12/peerjs/id", 404)])
def test_every_answer_carries_the_browser_hardening_headers(front: Front, path: str, status: int) -> None:
    answered, headers, _ = front.request(path)
    assert answered == status
    assert_browser_hardening(headers, f"127.0.0.1:{front.port}", (S3_PUBLIC_URL,))
