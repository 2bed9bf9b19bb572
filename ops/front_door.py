"""The front door (nginx): one template for the local stack and for production, what differs as named parameters.

`templates/front-door.conf` holds everything both share (routes, headers, the log format); a `FrontDoor` names
the rest: upstreams, TLS termination, which proxies may say who the client is, where media may come from.
`local()` is what the local stack runs. `PRODUCTION` is rendered into `deploy/nginx/front.conf.template` by
`python -m ops.front_door` and committed, so people can read what is deployed; the nginx image fills the
`${NAME}`s left in it from the container's environment at start. A test fails when that file is stale.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass, replace
from pathlib import Path

from ops.instance import REPO, Instance

TEMPLATES = Path(__file__).resolve().parent / "templates"
TEMPLATE = TEMPLATES / "front-door.conf"
POOL_PROBES = TEMPLATES / "front-door-pool-probes.conf"
PRODUCTION_FILE = REPO / "deploy" / "nginx" / "front.conf.template"

#: `{{name}}`: nginx's own `$variables` and the image's `${NAME}`s stay as written
PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
#: a placeholder alone on its line takes whole lines, and none when empty
LONE_PLACEHOLDER = re.compile(r"^\{\{(\w+)\}\}\n", re.MULTILINE)

#: where an ingress controller, a load balancer or a Docker network reaches the front door from
PRIVATE_RANGES = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")

PRODUCTION_HEADER = """\
# Generated from ops/templates/front-door.conf by `python -m ops.front_door`: edit those, not this file.
# nginx's official image renders it with envsubst at start, replacing only variables set in the container:
#   FUNCTION_UPSTREAM  where /function/NAME goes; `$fn` is the function's name
#                      (OpenFaaS: http://gateway.openfaas.svc.cluster.local:8080/function/$fn; one host: http://$fn:8080)
#   TUSD_UPSTREAM      the tus server (http://tusd:1080)
#   PEER_HOST_PREFIX / PEER_HOST_SUFFIX   pool member N is at PREFIX + N + SUFFIX, port 9000
#   MEDIA_ROOT         folder of renditions for the local storage backend (a shared volume)
#   MEDIA_SECRET       the media-secret, for signed links (same scheme as the local stack)
#   SERVICE_KEY        the service-key secret: upload-hook refuses tusd's hook calls without it
#   S3_PUBLIC_URL      with S3 storage, the origin media links point at (empty otherwise)
#   NGINX_LOCAL_RESOLVERS  set by the image's entrypoint from /etc/resolv.conf
"""


@dataclass(frozen=True)
class FrontDoor:
    """What one front door has of its own; everything else is the template's."""

    #: the browser-facing listener (`address:port` or a port)
    listen: str
    #: the built app
    app_root: str
    access_log: str
    #: base URL of function `$fn` (the `/function/NAME` location names it `fn`)
    function_upstream: str
    tusd_upstream: str
    #: pool port in `/peerjs/<port>/` (or a `~regex` of them) -> host:port of that PeerJS server
    peer_routes: dict[str, str]
    media_root: str
    media_secret: str
    #: the service-to-service key added to upload requests, which tusd forwards to upload-hook
    service_key: str
    #: TLS ends at a proxy in front, which tells the browser's scheme in X-Forwarded-Proto
    tls_terminated_in_front: bool = False
    #: proxies whose X-Forwarded-For is believed (CIDR ranges); none: the client is the connection's address
    trusted_proxies: tuple[str, ...] = ()
    #: other origins media, previews and HLS may be loaded from (the bucket's public URL with S3 storage)
    media_origins: tuple[str, ...] = ()
    #: DNS server for upstream names, which the routes look up per request
    resolver: str = ""
    #: ports of the in-cluster pool probes (the functions reach pool member N at PEER_HOST:900N)
    pool_probe_ports: tuple[int, ...] = ()


PRODUCTION = FrontDoor(
    listen="8080",
    app_root="/usr/share/nginx/html",
    access_log="/dev/stdout",
    function_upstream="${FUNCTION_UPSTREAM}",
    tusd_upstream="${TUSD_UPSTREAM}",
    peer_routes={"~^900(?<member>[0-9])$": "${PEER_HOST_PREFIX}$member${PEER_HOST_SUFFIX}:9000"},
    media_root="${MEDIA_ROOT}",
    media_secret="${MEDIA_SECRET}",
    service_key="${SERVICE_KEY}",
    tls_terminated_in_front=True,
    trusted_proxies=PRIVATE_RANGES,
    media_origins=("${S3_PUBLIC_URL}",),
    resolver="${NGINX_LOCAL_RESOLVERS}",
    pool_probe_ports=tuple(range(9000, 9010)),
)


def app_root() -> Path:
    dist = REPO / "frontend" / "dist"
    return dist if (dist / "index.html").exists() else Path(__file__).resolve().parent / "placeholder"


def local(instance: Instance, *, media_secret: str, service_key: str) -> FrontDoor:
    """The local stack's: browsers connect straight to it on loopback, and it reaches everything on loopback."""
    s3_public_url = instance.storage_environment().get("S3_PUBLIC_URL")
    return FrontDoor(
        listen=f"127.0.0.1:{instance.ports['front']}",
        app_root=str(app_root()),
        access_log=str(instance.logs_dir / "nginx-access.log"),
        function_upstream=f"{instance.url('gateway')}/function/$fn",
        tusd_upstream=instance.url("tusd"),
        peer_routes={str(port): f"127.0.0.1:{port}" for port in instance.peer_ports},
        media_root=str(instance.data_dir / "media"),
        media_secret=media_secret,
        service_key=service_key,
        media_origins=(s3_public_url,) if s3_public_url else (),
    )


def fill(template: Path, values: dict[str, str]) -> str:
    """The template with each `{{name}}` replaced; every name must be given and used."""
    text = template.read_text()
    named, given = set(PLACEHOLDER.findall(text)), set(values)
    if named != given:
        raise ValueError(f"{template.name}: missing {sorted(named - given)}, unknown {sorted(given - named)}")
    text = LONE_PLACEHOLDER.sub(lambda m: values[m.group(1)] + "\n" if values[m.group(1)] else "", text)
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], text)


def _lines(lines: list[str]) -> str:
    return "\n".join(lines)


def _real_ip(trusted: tuple[str, ...]) -> str:
    if not trusted:
        return "    # Real-IP trust: none. Nothing stands in front, so the client is the connection's own address."
    return _lines([
        "    # Real-IP trust: X-Forwarded-For is believed only from these proxies; the client is the last address",
        "    # in it that is not one of them, and what the client wrote before that is ignored.",
        *(f"    set_real_ip_from {cidr};" for cidr in trusted),
        "    real_ip_header X-Forwarded-For;",
        "    real_ip_recursive on;",
    ])


def render(door: FrontDoor) -> str:
    resolver = f"    resolver {door.resolver} valid=10s ipv6=off;" if door.resolver else ""
    peer_routes = _lines([f'    "{key}" "{target}";' for key, target in door.peer_routes.items()])
    pool_probes = ""
    if door.pool_probe_ports:
        pool_probes = fill(POOL_PROBES, {
            "peer_routes": peer_routes,
            "listen": _lines([f"    listen {port};" for port in door.pool_probe_ports]),
            "resolver": resolver,
        })
    return fill(TEMPLATE, {
        "tls_termination": ("TLS ends at a proxy in front, which says so in X-Forwarded-Proto."
                            if door.tls_terminated_in_front else "Browsers connect here directly."),
        "forwarded_https": "    https https;" if door.tls_terminated_in_front else "",
        "peer_routes": peer_routes,
        "listen": door.listen,
        "app_root": door.app_root,
        "access_log": door.access_log,
        "resolver": resolver,
        "real_ip": _real_ip(door.trusted_proxies),
        "media_origins": "".join(f" {origin}" for origin in door.media_origins),
        "function_upstream": door.function_upstream,
        "tusd_upstream": door.tusd_upstream,
        "service_key": door.service_key,
        "media_secret": door.media_secret,
        "media_root": door.media_root,
        "pool_probes": pool_probes,
    })


def render_production(trusted_proxies: tuple[str, ...] = PRIVATE_RANGES) -> str:
    return PRODUCTION_HEADER + render(replace(PRODUCTION, trusted_proxies=trusted_proxies))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.front_door",
                                     description="Write the production front door's nginx template.")
    parser.add_argument("--trusted-proxy", action="append", metavar="CIDR",
                        help=f"a range whose X-Forwarded-For is believed (repeat; default: {' '.join(PRIVATE_RANGES)})")
    parser.add_argument("--output", type=Path, default=PRODUCTION_FILE, help="default: %(default)s")
    args = parser.parse_args(argv)
    args.output.write_text(render_production(tuple(args.trusted_proxy or PRIVATE_RANGES)))
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
