"""The long-running components of an instance, as supervisord programs.

Function processes are not listed here: the gateway's provider adds and removes those at deploy time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ops import components, seaweedfs
from ops.instance import REPO, S3_BUCKET, Instance


@dataclass(frozen=True)
class Program:
    name: str
    command: str
    port: int | None = None
    environment: dict[str, str] = field(default_factory=dict)
    stopwaitsecs: int = 10
    #: seconds a process must stay up to count as started
    startsecs: int = 1


#: where the other programs keep their state: started first, stopped last
STORES = ("redis", "ferretdb", "s3")


def programs(instance: Instance) -> list[Program]:
    tools, python, run, data = instance.tools_bin, instance.python, instance.run_dir, instance.data_dir
    ports = instance.ports
    faas_env = {
        "FAAS_GATEWAY_PORT": str(ports["gateway"]),
        "FAAS_METRICS_PORT": str(ports["metrics"]),
        "FAAS_STATE_DIR": str(instance.faas_state_dir),
        "FAAS_SUPERVISOR_URL": f"unix://{instance.supervisor_socket}",
        "FAAS_FUNCTIONS_PATH": f"{REPO / 'functions'}:{REPO / 'tests' / 'functions'}",
        "FAAS_TEMPLATE_DIR": str(REPO / "templates" / "python3-http"),
        "FAAS_PYTHON": python,
        "FAAS_SECRETS_DIR": str(instance.secrets_dir),
        "FAAS_REDIS_URL": f"redis://127.0.0.1:{ports['redis']}/1",
        "FAAS_REDIS_PASSWORD_FILE": str(instance.secrets_dir / "redis-password"),
        "FAAS_FUNCTION_PORT_BASE": str(ports["functions"]),
        "FAAS_LOG_DIR": str(instance.logs_dir),
    }
    listed = [
        Program("redis", f"redis-server {run / 'redis.conf'}", ports["redis"]),
        Program(
            "ferretdb",
            f"{tools / 'ferretdb'} -listen-addr 127.0.0.1:{ports['mongo']} -sqlite-dir {data / 'ferretdb'}",
            ports["mongo"],
        ),
        Program("gateway", f"{python} -m faas.gateway", ports["gateway"], faas_env),
        Program("faas-async", f"{python} -m faas.async_worker", None, faas_env),
        Program("faas-cron", f"{python} -m faas.cron", None, faas_env),
        Program("tusd", tusd_command(instance), ports["tusd"], tusd_environment(instance)),
        Program("nginx", f"nginx -e stderr -c {run / 'nginx.conf'} -g 'daemon off;'", ports["front"]),
        Program("coturn", f"turnserver -c {run / 'turnserver.conf'}", ports["turn"]),
    ]
    if instance.storage == "s3":
        listed.append(Program("s3", s3_command(instance), ports["s3"], startsecs=2))
    for index, port in enumerate(instance.peer_ports):
        command = components.peer_command("node", REPO / "peer" / "server.js", port)
        listed.append(Program(f"peer-{index}", " ".join(command), port))
    counts = {"transcode": instance.transcode_workers, "downscale": instance.downscale_workers}
    for queue in components.QUEUES:
        count = counts[queue]
        for index in range(count):
            listed.append(Program(f"worker-{queue}-{index}", " ".join(components.worker_command(python, queue)),
                                  None, stopwaitsecs=30))
    return listed


def tusd_command(instance: Instance) -> str:
    """The production tusd's flags (ops.components) on loopback, its hooks to the instance's gateway."""
    hook_url = f"{instance.url('gateway')}/function/upload-hook"
    args = components.tusd_args(host="127.0.0.1", port=instance.ports["tusd"], store=_tusd_store(instance),
                                hook_url=hook_url)
    return " ".join([str(instance.tools_bin / "tusd"), *args])


def _tusd_store(instance: Instance) -> list[str]:
    """Where tusd keeps uploads: the uploads folder, or `uploads/` in the bucket (as production does on S3)."""
    if instance.storage != "s3":
        return components.upload_dir(instance.data_dir / "uploads")
    return components.s3_store(S3_BUCKET, instance.url("s3"))


def tusd_environment(instance: Instance) -> dict[str, str]:
    """tusd's S3 client reads its keys from a credentials file (written by ops.render), never the environment."""
    if instance.storage != "s3":
        return {}
    return {"AWS_SHARED_CREDENTIALS_FILE": str(instance.run_dir / "aws-credentials"), "AWS_REGION": "us-east-1"}


def s3_command(instance: Instance) -> str:
    """SeaweedFS: the S3 API on the instance's `s3` port, its inner servers on the ten ports after it."""
    base = instance.ports["s3"]
    inner = [base + step for step in range(1, len(seaweedfs.INNER_PORTS) + 1)]
    return " ".join(seaweedfs.command(instance.tools_bin / "weed", instance.data_dir / "s3",
                                      instance.run_dir / "s3.json", base, inner))
