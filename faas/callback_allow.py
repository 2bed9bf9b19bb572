"""Where `/async-function` may send results: the `ASYNC_CALLBACK_ALLOW` list.

Without a list, anyone able to reach the gateway could make the async worker POST to any address it can reach
(a metadata service, an admin port, another tenant): a server-side request forgery. The list is comma-separated;
each entry is one of

- `http://host[:port][/path]` or `https://...`: URLs that start with it (same scheme, host and port; the path
  equal to it or below it);
- an IP address or CIDR block (`127.0.0.0/8`, `::1`, `10.0.0.0/8`): URLs whose host is an address in it (names
  are never resolved here: what a name resolves to may change between this check and the call);
- `*`: a name without a dot that starts with a letter (a service of the cluster's own namespace, a Compose
  service); a dotless number such as `2130706433` is an address in disguise and never matches;
- `*.example.org`: any name under `example.org`, at any depth;
- `name`: exactly that name.

Only `http` and `https` URLs without user info are ever accepted.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

DEFAULT_ALLOW = "127.0.0.0/8,::1,localhost,*,*.svc.cluster.local"

_LABEL = r"[a-z0-9]([a-z0-9-]*[a-z0-9])?"
_NAME = re.compile(rf"^{_LABEL}(\.{_LABEL})*$")
_SERVICE = re.compile(r"^[a-z]([a-z0-9-]*[a-z0-9])?$")
_UNSAFE = re.compile(r"[\s\\\x00-\x1f\x7f]")
_Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class _Prefix:
    scheme: str
    host: str
    port: int
    path: str

    def matches(self, url: SplitResult, host: str) -> bool:
        if (url.scheme, host, _port(url)) != (self.scheme, self.host, self.port):
            return False
        path = url.path or "/"
        return self.path in ("", "/") or path == self.path or path.startswith(self.path.rstrip("/") + "/")


@dataclass(frozen=True)
class CallbackAllowList:
    """A parsed `ASYNC_CALLBACK_ALLOW`; `refusal(url)` says why a URL is not allowed (None when it is)."""

    text: str
    networks: tuple[_Network, ...]
    names: frozenset[str]
    suffixes: tuple[str, ...]  # each with its leading dot
    service_names: bool
    prefixes: tuple[_Prefix, ...]

    @classmethod
    def parse(cls, text: str) -> CallbackAllowList:
        networks: list[_Network] = []
        names: set[str] = set()
        suffixes: list[str] = []
        prefixes: list[_Prefix] = []
        service_names = False
        for raw in text.split(","):
            entry = raw.strip().lower()
            if not entry:
                continue
            if "://" in entry:
                prefixes.append(_parse_prefix(entry))
            elif entry == "*":
                service_names = True
            elif entry.startswith("*.") and _NAME.match(entry[2:]):
                suffixes.append(entry[1:])
            elif (network := _network(entry)) is not None:
                networks.append(network)
            elif _NAME.match(entry.rstrip(".")):
                names.add(entry.rstrip("."))
            else:
                raise ValueError(f"ASYNC_CALLBACK_ALLOW: {raw.strip()!r} is neither a URL prefix, an address or "
                                 "CIDR block, '*', '*.domain' nor a host name")
        return cls(text=text, networks=tuple(networks), names=frozenset(names), suffixes=tuple(suffixes),
                   service_names=service_names, prefixes=tuple(prefixes))

    def refusal(self, url: str | None) -> str | None:
        """None when results may be POSTed to `url` (or there is no URL); otherwise a sentence saying why not."""
        if not url:
            return None
        if _UNSAFE.search(url):
            return "the callback URL contains spaces, backslashes or control characters"
        try:
            parts = urlsplit(url)
            port = _port(parts)
        except ValueError:
            return "the callback URL cannot be parsed"
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return "the callback URL must be an http:// or https:// URL with a host"
        if "@" in parts.netloc:
            return "the callback URL must not carry a user name or password"
        if any(segment in (".", "..") for segment in parts.path.split("/")):
            return "the callback URL must not contain '.' or '..' path segments"
        host = parts.hostname.rstrip(".")
        if any(prefix.matches(parts, host) for prefix in self.prefixes):
            return None
        address = _address(host)
        if address is not None:
            if any(address.version == net.version and address in net for net in self.networks):
                return None
        elif (host in self.names or any(host.endswith(suffix) for suffix in self.suffixes)
              or (self.service_names and _SERVICE.match(host))):
            return None
        where = f"{host}:{port}" if parts.port else host
        return f"{where} is not on the callback allow-list (ASYNC_CALLBACK_ALLOW={self.text})"


def _port(parts: SplitResult) -> int:
    return parts.port or (443 if parts.scheme == "https" else 80)


def _address(host: str) -> _Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _network(entry: str) -> _Network | None:
    try:
        return ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return None


def _parse_prefix(entry: str) -> _Prefix:
    parts = urlsplit(entry)
    if parts.scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
        raise ValueError(f"ASYNC_CALLBACK_ALLOW: {entry!r} must be an http:// or https:// URL with a host")
    return _Prefix(scheme=parts.scheme, host=parts.hostname.rstrip("."), port=_port(parts), path=parts.path)
