"""Write an instance's configuration files (supervisord, nginx, Redis, coturn) from its settings."""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from string import Template

from ops import components, front_door, seaweedfs, secrets
from ops.instance import REPO, Instance
from ops.programs import Program, programs

TEMPLATES = Path(__file__).resolve().parent / "templates"


def _template(path: Path) -> Template:
    return Template(path.read_text())


def _write_private(path: Path, text: str) -> None:
    """Config files that embed a secret are readable by their owner only."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


def _supervisor_value(value: str) -> str:
    return '"' + value.replace("%", "%%").replace('"', '\\"') + '"'


def _environment_line(env: dict[str, str]) -> str:
    return ",".join(f"{key}={_supervisor_value(value)}" for key, value in env.items())


def supervisord_conf(instance: Instance, listed: list[Program]) -> str:
    sections = [
        "[unix_http_server]",
        f"file={instance.supervisor_socket}",
        "chmod=0700",
        "",
        "[supervisord]",
        f"logfile={instance.logs_dir / 'supervisord.log'}",
        f"pidfile={instance.run_dir / 'supervisord.pid'}",
        f"childlogdir={instance.logs_dir}",
        "logfile_maxbytes=10MB",
        "minfds=4096",
        "silent=true",
        f"directory={REPO}",
        f"environment={_environment_line(instance.environment())}",
        "",
        "[rpcinterface:supervisor]",
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
        "",
        "[supervisorctl]",
        f"serverurl=unix://{instance.supervisor_socket}",
        "",
    ]
    for program in listed:
        sections += [
            f"[program:{program.name}]",
            f"command={program.command}",
            f"directory={REPO}",
            "autostart=true",
            "autorestart=true",
            f"startsecs={program.startsecs}",
            "startretries=100",
            "stopasgroup=true",
            "killasgroup=true",
            f"stopwaitsecs={program.stopwaitsecs}",
            "redirect_stderr=true",
            f"stdout_logfile={instance.logs_dir / (program.name + '.log')}",
            "stdout_logfile_maxbytes=20MB",
            "stdout_logfile_backups=2",
        ]
        if program.environment:
            sections.append(f"environment={_environment_line(program.environment)}")
        sections.append("")
    sections += ["[include]", f"files = {instance.faas_state_dir / 'supervisor' / '*.conf'}", ""]
    return "\n".join(sections)


def render(instance: Instance) -> list[Program]:
    """Create the instance's folders and write every config file; return the programs to run."""
    for directory in (instance.data_dir, instance.logs_dir, instance.run_dir, instance.faas_state_dir / "supervisor",
                      instance.data_dir / "ferretdb", instance.data_dir / "redis", instance.data_dir / "uploads",
                      instance.data_dir / "media", instance.run_dir / "nginx"):
        directory.mkdir(parents=True, exist_ok=True)
    secrets.ensure_secrets(instance.secrets_dir)
    read = lambda name: secrets.read(instance.secrets_dir, name)  # noqa: E731
    ports = instance.ports
    run = instance.run_dir

    _write_private(run / "redis.conf", components.redis_conf(
        port=ports["redis"], password=read("redis-password"), folder=instance.data_dir / "redis"))

    door = front_door.local(instance, media_secret=read("media-secret"), service_key=read("service-key"))
    _write_private(run / "front-door.conf", front_door.render(door))
    _write_private(run / "nginx.conf", _template(TEMPLATES / "nginx.conf").substitute(
        user=getpass.getuser(), run_dir=run, front_door=run / "front-door.conf"))

    relay_min, relay_max = instance.turn_relay_range
    coturn_template = REPO / "coturn" / "turnserver.conf.tmpl"
    if coturn_template.exists():
        _write_private(run / "turnserver.conf", _template(coturn_template).substitute(
            TURN_PORT=ports["turn"], TURN_MIN_PORT=relay_min, TURN_MAX_PORT=relay_max,
            TURN_SECRET=read("turn-secret"), TURN_ALLOW_LOOPBACK="allow-loopback-peers\nallowed-peer-ip=127.0.0.1",
            RUN_DIR=run, LOG_DIR=instance.logs_dir))

    if instance.storage == "s3":
        access, secret = read("s3-access-key"), read("s3-secret-key")
        _write_private(run / "s3.json", seaweedfs.identities(access, secret))
        _write_private(run / "aws-credentials",
                       f"[default]\naws_access_key_id = {access}\naws_secret_access_key = {secret}\n")
        (instance.data_dir / "s3").mkdir(exist_ok=True)

    listed = programs(instance)
    if not coturn_template.exists():
        listed = [p for p in listed if p.name != "coturn"]
    (run / "supervisord.conf").write_text(supervisord_conf(instance, listed))
    return listed
