"""A real JupyterHub room for tests: `fxkit seminar hub` on a loopback port, stopped after.

The hub, its proxy (configurable-http-proxy, the Python one) and every trainee's server run
in one new session, so stopping it ends them all. ``memory()`` reads their resident memory
from /proc: the hub's own processes, each single-user server, each kernel.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

FXKIT = str(Path(sys.executable).with_name("fxkit"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Hub:
    directory: Path
    port: int
    password: str
    proc: subprocess.Popen
    log: Path
    started_in: float = 0.0
    accounts: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def memory(self) -> dict[str, list[int]]:
        """RSS in KiB of this hub's process tree: {"hub": [...], "server": [...],
        "kernel": [...]} (the hub and its proxy; each single-user server; each kernel)."""
        found: dict[str, list[int]] = {"hub": [], "server": [], "kernel": []}
        for _pid, cmd, rss in self._tree():
            kind = "kernel" if "ipykernel" in cmd else "server" if "singleuser" in cmd \
                else "hub"
            found[kind].append(rss)
        return found

    def _tree(self) -> list[tuple[int, str, int]]:
        """(pid, command line, RSS in KiB) of the hub and every process below it. The
        spawner starts servers in sessions of their own: followed by parent pid."""
        procs: dict[int, tuple[int, str, int]] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                status = dict(line.split(":", 1) for line in
                              (entry / "status").read_text().splitlines() if ":" in line)
                cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                procs[int(entry.name)] = (int(status["PPid"]), cmd,
                                          int(status.get("VmRSS", "0 kB").split()[0]))
            except (OSError, KeyError, ValueError):
                continue
        tree = {self.proc.pid}
        changed = True
        while changed:
            new = {pid for pid, (ppid, _, _) in procs.items() if ppid in tree} - tree
            tree |= new
            changed = bool(new)
        return [(pid, procs[pid][1], procs[pid][2]) for pid in sorted(tree & set(procs))]

    def stop(self) -> None:
        """End every server and kernel at once, then the hub and its proxy: the hub alone
        would stop the servers itself, waiting on each (seconds per server)."""
        for pid, cmd, _rss in self._tree():
            if pid != self.proc.pid and ("ipykernel" in cmd or "singleuser" in cmd):
                try:
                    os.kill(pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        except ProcessLookupError:
            pass


def start_hub(directory: Path, *, trainees: int = 3, password: str = "room-secret",
              timeout: float = 60) -> Hub:
    """``fxkit seminar hub`` on a free loopback port; returns once /hub/login answers."""
    port = free_port()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("FXKIT_", "PYTEST_", "JUPYTER")) and k != "XDG_STATE_HOME"}
    log = directory.parent / "hub.log"
    started = time.monotonic()
    with open(log, "w") as fh:
        proc = subprocess.Popen([FXKIT, "seminar", "hub", "--trainees", str(trainees),
                                 "--port", str(port), "--dir", str(directory),
                                 "--password", password], env=env, stdout=fh,
                                stderr=subprocess.STDOUT, start_new_session=True)
    hub = Hub(directory, port, password, proc, log)
    deadline = started + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the hub exited with {proc.returncode}:\n"
                                 f"{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(f"{hub.url}/hub/login", timeout=1) as r:
                if r.status == 200:
                    hub.started_in = time.monotonic() - started
                    hub.accounts = [f"trainee{n:02d}" for n in range(1, trainees + 1)]
                    return hub
        except OSError:
            time.sleep(0.2)
    hub.stop()
    raise AssertionError(f"the hub did not answer in {timeout}s:\n{log.read_text()[-4000:]}")
