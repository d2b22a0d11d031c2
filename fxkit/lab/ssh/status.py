"""Whether the lab's SSH server runs, and on which ports: its status file, read without
Paramiko (``connect_lab`` asks it for every lab target, served or not)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from fxkit.hostlock import process_alive
from fxkit.lab.store import lab_dir

__all__ = ["ServerStatus", "alive", "status"]


@dataclass
class ServerStatus:
    pid: int
    ports: dict[str, int]
    started: float
    root: Path

    @property
    def uptime(self) -> float:
        return max(0.0, time.time() - self.started)


def status(root: Path | None = None) -> ServerStatus | None:
    """The running server, or None; a stale status file (dead pid) is removed."""
    root = Path(root) if root else lab_dir()
    path = root / "server.json"
    try:
        data = json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return None
    pid = int(data.get("pid", 0))
    if not alive(pid):
        path.unlink(missing_ok=True)
        (root / "server.pid").unlink(missing_ok=True)
        return None
    return ServerStatus(pid, {k: int(v) for k, v in data["ports"].items()},
                        float(data["started"]), root)


def alive(pid: int) -> bool:
    """Whether ``pid`` runs and is an fxkit process (a recycled pid is some other program)."""
    if not process_alive(pid):
        return False
    try:
        return b"fxkit" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True
