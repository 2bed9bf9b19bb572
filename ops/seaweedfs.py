"""SeaweedFS as the S3-compatible server of the local stack (`STORAGE_BACKEND=s3`) and of the storage tests.

`weed mini` runs master, volume, filer and S3 gateway in one process. Each inner server wants a port of its
own (HTTP and gRPC): all are given explicitly, so nothing lands on a default such as 8080 (the gateway's).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

#: The inner servers' ports a caller supplies, in this order, besides the S3 port.
INNER_PORTS = ("master.port", "volume.port", "filer.port", "admin.port", "webdav.port",
               "master.port.grpc", "volume.port.grpc", "filer.port.grpc", "s3.port.grpc", "admin.port.grpc")


def command(weed: Path, data_dir: Path, config: Path, s3_port: int, inner_ports: Sequence[int]) -> list[str]:
    """Arguments running SeaweedFS on loopback only, with the S3 identities in `config` (see `identities`)."""
    if len(inner_ports) != len(INNER_PORTS):
        raise ValueError(f"SeaweedFS needs {len(INNER_PORTS)} inner ports, got {len(inner_ports)}")
    return [str(weed), "mini", f"-dir={data_dir}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-admin.ui=false",
            "-admin.port.legacy=0", f"-s3.port={s3_port}", f"-s3.config={config}",
            *(f"-{flag}={port}" for flag, port in zip(INNER_PORTS, inner_ports, strict=True))]


def identities(access_key: str, secret_key: str) -> str:
    """The S3 config: one identity with these keys, allowed everything on every bucket (nobody else is)."""
    identity = {"name": "flmnchll", "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"]}
    return json.dumps({"identities": [identity]})
