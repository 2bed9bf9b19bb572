"""What a deployment is: validation of OpenFaaS deploy requests and the rules derived from them.

A deploy request is checked completely before anything is written, so a bad request leaves nothing
half-deployed. Scaling labels and of-watchdog settings (`exec_timeout`, `max_inflight`) are read here.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from croniter import croniter

from faas.settings import NAMESPACE

_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}

MIN_SCALE_LABEL = "com.openfaas.scale.min"
MAX_SCALE_LABEL = "com.openfaas.scale.max"
DEFAULT_MIN_REPLICAS = 1
DEFAULT_MAX_REPLICAS = 20


class SpecError(ValueError):
    """A deploy or scale request that cannot be accepted (answered with 400)."""


def parse_duration(raw: str) -> float:
    """Seconds in a Go duration ("10s", "1m30s", "500ms"); a bare number means seconds."""
    text = raw.strip()
    if not text:
        raise ValueError("empty duration")
    try:
        return float(text)
    except ValueError:
        pass
    pos, total = 0, 0.0
    for match in _DURATION_PART.finditer(text):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        pos = match.end()
    if pos != len(text) or pos == 0:
        raise ValueError(f"invalid duration {raw!r}")
    return total


def valid_schedule(schedule: str) -> bool:
    """A cron expression (5 fields, or 6 with seconds last) or `@every DURATION`."""
    if schedule.startswith("@every "):
        try:
            return parse_duration(schedule[len("@every "):]) > 0
        except ValueError:
            return False
    return bool(croniter.is_valid(schedule))


def check_function_name(name: object) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise SpecError(
            f"invalid function name {name!r}: use at most 63 lower case letters, digits and '-', "
            "starting and ending with a letter or digit"
        )
    return name


def split_namespace(name: str) -> tuple[str, str]:
    """`hello.openfaas-fn` → (`hello`, `openfaas-fn`); a bare name gets the default namespace."""
    base, dot, namespace = name.partition(".")
    return base, (namespace if dot else NAMESPACE)


def _str_map(body: dict[str, Any], key: str) -> dict[str, str]:
    value = body.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise SpecError(f"{key} must be an object of string values")
    return dict(value)


def _str_list(body: dict[str, Any], key: str) -> list[str]:
    value = body.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SpecError(f"{key} must be a list of strings")
    return list(value)


def _resources(body: dict[str, Any], key: str) -> dict[str, str] | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise SpecError(f"{key} must be an object like {{\"memory\": \"128Mi\", \"cpu\": \"100m\"}}")
    return {k: v for k, v in value.items() if k in ("memory", "cpu") and v}


@dataclass
class FunctionSpec:
    """One deployed function as the registry keeps it."""

    service: str
    image: str
    env_process: str = ""
    env_vars: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    secrets: list[str] = field(default_factory=list)
    constraints: list[str] = field(default_factory=list)
    limits: dict[str, str] | None = None
    requests: dict[str, str] | None = None
    read_only_root_filesystem: bool = False
    replicas: int = DEFAULT_MIN_REPLICAS
    port_start: int = 0
    port_slots: int = 0
    source: str = ""
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat().replace("+00:00", "Z"))

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FunctionSpec:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    @property
    def min_replicas(self) -> int:
        return _label_int(self.labels, MIN_SCALE_LABEL, DEFAULT_MIN_REPLICAS)

    @property
    def max_replicas(self) -> int:
        return max(self.min_replicas, _label_int(self.labels, MAX_SCALE_LABEL, DEFAULT_MAX_REPLICAS))

    def clamp(self, replicas: int) -> int:
        """Keep a replica count within the scale labels; 0 (scaled to zero) stays 0."""
        if replicas <= 0:
            return 0
        return min(max(replicas, self.min_replicas), self.max_replicas)

    @property
    def exec_timeout(self) -> float | None:
        """of-watchdog's `exec_timeout` in seconds; None when unset or zero."""
        raw = self.env_vars.get("exec_timeout", "")
        if not raw:
            return None
        seconds = parse_duration(raw)
        return seconds if seconds > 0 else None

    @property
    def max_inflight(self) -> int:
        """of-watchdog's `max_inflight` per replica; 0 means unlimited."""
        raw = self.env_vars.get("max_inflight", "").strip()
        return int(raw) if raw else 0

    @property
    def ports(self) -> list[int]:
        return [self.port_start + i for i in range(self.replicas)]


def _label_int(labels: dict[str, str], key: str, default: int) -> int:
    raw = labels.get(key, "").strip()
    if not raw:
        return default
    try:
        return max(0, int(raw))
    except ValueError:
        return default


def parse_deploy_request(body: object) -> FunctionSpec:
    """Validate an OpenFaaS FunctionDeployment JSON body; raise SpecError with a clear message."""
    if not isinstance(body, dict):
        raise SpecError("the request body must be a JSON object (an OpenFaaS FunctionDeployment)")
    service = check_function_name(body.get("service"))
    image = body.get("image")
    if not isinstance(image, str) or not image.strip():
        raise SpecError("image is required")
    namespace = body.get("namespace") or NAMESPACE
    if namespace != NAMESPACE:
        raise SpecError(f"namespace {namespace!r} is not allowed; the only namespace is {NAMESPACE!r}")
    env_process = body.get("envProcess") or ""
    if not isinstance(env_process, str):
        raise SpecError("envProcess must be a string")
    spec = FunctionSpec(
        service=service,
        image=image.strip(),
        env_process=env_process,
        env_vars=_str_map(body, "envVars"),
        labels=_str_map(body, "labels"),
        annotations=_str_map(body, "annotations"),
        secrets=_str_list(body, "secrets"),
        constraints=_str_list(body, "constraints"),
        limits=_resources(body, "limits"),
        requests=_resources(body, "requests"),
        read_only_root_filesystem=bool(body.get("readOnlyRootFilesystem", False)),
    )
    for key in ("exec_timeout", "read_timeout", "write_timeout"):
        if key in spec.env_vars:
            try:
                parse_duration(spec.env_vars[key])
            except ValueError as exc:
                raise SpecError(f"envVars.{key}: {exc}") from None
    if "max_inflight" in spec.env_vars:
        try:
            if spec.max_inflight < 0:
                raise ValueError
        except ValueError:
            raise SpecError("envVars.max_inflight must be a whole number ≥ 0") from None
    topics = [t.strip() for t in spec.annotations.get("topic", "").split(",")]
    schedule = spec.annotations.get("schedule", "").strip()
    if "cron-function" in topics and schedule and not valid_schedule(schedule):
        raise SpecError(f"annotation schedule {schedule!r} is not a valid cron expression or '@every DURATION'")
    for key in (MIN_SCALE_LABEL, MAX_SCALE_LABEL):
        raw = spec.labels.get(key)
        if raw is not None and not raw.strip().isdigit():
            raise SpecError(f"label {key} must be a whole number ≥ 0")
    spec.replicas = spec.clamp(max(1, spec.min_replicas))
    return spec


def parse_scale_request(body: object) -> int:
    """The replica count of a ScaleServiceRequest."""
    if not isinstance(body, dict):
        raise SpecError("the request body must be a JSON object like {\"serviceName\": \"NAME\", \"replicas\": 1}")
    replicas = body.get("replicas")
    if isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 0:
        raise SpecError("replicas must be a whole number ≥ 0")
    return replicas


def status_json(spec: FunctionSpec, available: int, invocations: float) -> dict[str, Any]:
    """The FunctionStatus shape that `/system/functions` and `/system/function/NAME` answer."""
    return {
        "name": spec.service,
        "image": spec.image,
        "namespace": NAMESPACE,
        "envProcess": spec.env_process,
        "envVars": spec.env_vars,
        "constraints": spec.constraints,
        "secrets": spec.secrets,
        "labels": spec.labels,
        "annotations": spec.annotations,
        "limits": spec.limits,
        "requests": spec.requests,
        "readOnlyRootFilesystem": spec.read_only_root_filesystem,
        "invocationCount": invocations,
        "replicas": spec.replicas,
        "availableReplicas": available,
        "createdAt": spec.created_at,
    }
