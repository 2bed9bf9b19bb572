"""`make status`: one line per component — name, up or down, pid, port, uptime."""

from __future__ import annotations

from ops.instance import Instance
from ops.programs import programs
from ops.supervisor import processes


def _uptime(seconds: int) -> str:
    hours, rest = divmod(max(0, seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s"


def status_lines(instance: Instance) -> list[str]:
    infos = {info["name"]: info for info in processes(instance)}
    ports = {program.name: program.port for program in programs(instance)}
    names = list(ports) + sorted(name for name in infos if name not in ports)
    lines = [f"{'component':<22} {'state':<5} {'pid':>7} {'port':>6}  uptime"]
    for name in names:
        info = infos.get(name)
        running = info if info and info["statename"] == "RUNNING" else None
        pid = str(running["pid"]) if running else "-"
        uptime = _uptime(running["now"] - running["start"]) if running else "-"
        port = ports.get(name)
        lines.append(f"{name:<22} {'up' if running else 'down':<5} {pid:>7} {port or '-':>6}  {uptime}")
    return lines
