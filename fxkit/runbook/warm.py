"""Warm kernels for ``fxkit run``: started before they are needed, each used by one run only.

A kernel takes about a second to start and import fxkit: more than the cells of most
runbooks. So ``fxkit run`` takes, as its first act, a spare kernel that an earlier run
left ready, or starts its own (``start``) while it imports papermill and checks the
parameters; and it leaves one spare for the next run (``fxkit.runbook.pool``).

What a warm kernel has done before its run: imported fxkit's packages (``PRELOAD``),
nothing else (no cell, no user code, no history). Its run then gives it, by a silent
prelude (``adopt``), the environment and directory a kernel started for that run would
have had. A spare exits by itself after ``$FXKIT_WARM_KERNEL_IDLE`` seconds unclaimed
(300)::

    >>> kernel = start()                                   # doctest: +SKIP
    >>> run_runbook("lv-extend", {...}, kernel=kernel)     # doctest: +SKIP
    >>> kernel.discard()                                   # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

IDLE_ENV = "FXKIT_WARM_KERNEL_IDLE"
IDLE = 300.0
# The imports a runbook's first cells pay: fxkit's faces, papermill (the check cell reads
# the parameters cell with it), and what connect() loads for the lab or SSH (Paramiko).
PRELOAD = ("fxkit", "fxkit.runbook", "fxkit.lvm", "fxkit.xen", "fxkit.net", "fxkit.lab",
           "fxkit.topology", "fxkit.lab.ssh.daemon", "fxkit.transports.ssh_config",
           "papermill.translators")
# Set per run by the prelude (``adopt``), so not part of the environment a spare must
# match: the parent jupyter_client names, and what the shell changes from one command
# to the next.
PER_RUN = ("JPY_PARENT_PID", "_", "PWD", "OLDPWD")


@dataclass
class WarmKernel:
    """A started kernel nobody has used yet: its directory, connection and process."""

    directory: Path
    connection: dict[str, Any]
    pid: int
    spawn_cwd: str
    process: subprocess.Popen[bytes] | None = None   # when this process started it

    @property
    def connection_file(self) -> Path:
        return self.directory / "connection.json"

    def alive(self) -> bool:
        if self.process is not None:
            return self.process.poll() is None
        return pid_alive(self.pid)

    def discard(self) -> None:
        """Kill it (its process group: it runs in its own session) and remove its files."""
        with contextlib.suppress(OSError):
            os.killpg(self.pid, 9)
        if self.process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=5)
        shutil.rmtree(self.directory, ignore_errors=True)


def pid_alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie does not: a spare's parent is init, not us)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return True
    return stat.rpartition(")")[2].split()[0] not in ("Z", "X")


def start(directory: str | Path | None = None, *, spare: bool = False) -> WarmKernel:
    """Start a kernel of this interpreter that imports ``PRELOAD``, over Unix sockets in
    ``directory`` (a new private temporary one if not given). Returns at once: the
    kernel answers its first request once its imports are done.

    A spare waits for ``claim`` and exits when unclaimed for ``$FXKIT_WARM_KERNEL_IDLE``
    seconds; a run's own kernel exits with this process (``JPY_PARENT_PID``), as one that
    jupyter_client starts does.
    """
    where = Path(directory) if directory else Path(tempfile.mkdtemp(prefix="fxkit-kernel-"))
    where.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = {"transport": "ipc", "ip": str(where / "kernel"), "shell_port": 1, "iopub_port": 2,
            "stdin_port": 3, "control_port": 4, "hb_port": 5, "key": secrets.token_hex(32),
            "signature_scheme": "hmac-sha256"}
    conn = where / "connection.json"
    fd = os.open(conn, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(info, fh)
    ready = str(where / "ready") if spare else ""
    preload = (f"__import__('fxkit.runbook.warm', fromlist=['preload']).preload("
               f"{ready!r}, {idle_seconds() if spare else 0.0!r})")
    env = dict(os.environ)
    for name in PER_RUN:
        env.pop(name, None)
    if not spare:
        env["JPY_PARENT_PID"] = str(os.getpid())
    quiet = subprocess.DEVNULL if spare else None
    proc = subprocess.Popen(
        [sys.executable, "-m", "ipykernel_launcher", "-f", str(conn),
         f"--IPKernelApp.exec_lines={preload}"],
        env=env, stdin=subprocess.DEVNULL, stdout=quiet, stderr=quiet,
        start_new_session=True, close_fds=True)
    return WarmKernel(where, info, proc.pid, os.getcwd(), None if spare else proc)


def idle_seconds() -> float:
    try:
        return max(float(os.environ.get(IDLE_ENV, IDLE)), 1.0)
    except ValueError:
        return IDLE


# -- inside the kernel ------------------------------------------------------------------

def preload(ready: str = "", idle: float = 0.0) -> None:
    """A fresh kernel's only code (its ``exec_lines``, outside its history): import
    fxkit's packages; a spare also watches its ``ready`` file (``_expire``)."""
    from fxkit.runbook.params import import_papermill
    import_papermill()   # first: the way fxkit imports it, without its slowest module
    for name in PRELOAD:
        importlib.import_module(name)
    if ready:
        threading.Thread(target=_expire, args=(Path(ready), idle), daemon=True,
                         name="fxkit-spare").start()


def _expire(ready: Path, idle: float) -> None:
    """Exit when unclaimed after ``idle`` seconds, when asked to, or when the pool is gone;
    the rename to ``expired`` is atomic against ``claim``'s, so a claimed kernel stays."""
    deadline = time.monotonic() + idle
    while True:
        if not ready.exists():
            if ready.with_name("claimed").exists():
                return   # a run took it: serve that run
            os._exit(0)  # its directory was removed: nobody can claim it any more
        if time.monotonic() >= deadline or ready.with_name("expire").exists():
            try:
                ready.rename(ready.with_name("expired"))
            except OSError:
                return   # claimed this very moment: serve that run
            shutil.rmtree(ready.parent, ignore_errors=True)
            os._exit(0)
        time.sleep(1.0)


def per_run_env(run_env: Mapping[str, str]) -> dict[str, str | None]:
    """What ``adopt`` sets in a warm kernel: this process's ``PER_RUN`` variables (None:
    unset), the parent pid jupyter_client would give, and the run's own ``run_env``."""
    env: dict[str, str | None] = {k: os.environ.get(k) for k in PER_RUN}
    env["JPY_PARENT_PID"] = str(os.getpid())
    return {**env, **run_env}


def adopt(env: Mapping[str, str | None], cwd: str, owner: int, spawn_cwd: str) -> None:
    """The run's prelude in a warm kernel (silent, outside its history): the environment
    and working directory a kernel started for this run would have had, and exit when
    the run's process ``owner`` is gone (a spare's parent is not that process)."""
    for name, value in env.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    os.chdir(cwd)
    sys.path[:] = [cwd if p == spawn_cwd else p for p in sys.path]
    if os.getppid() != owner:
        threading.Thread(target=_watch, args=(owner,), daemon=True, name="fxkit-owner").start()


def _watch(owner: int) -> None:
    while pid_alive(owner):
        time.sleep(1.0)
    os._exit(1)
