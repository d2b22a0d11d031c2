"""A spare ``fxkit run`` process: the imports of the next run, done before it is asked for.

Most of a dry-run's time on the lab is Python importing papermill, nbclient, jupyter_client
and fxkit (about 0.4 s of 0.9 s). So, as a spare kernel waits for the next run's cells
(``fxkit.runbook.pool``), a spare runner waits for the next ``fxkit run``: a process of the
same interpreter, environment and code (``pool.fingerprint``) that has done those imports
and nothing else. The next ``fxkit run`` hands it its command line, environment, working
directory, umask and its standard input, output and error (the descriptors themselves,
over a Unix socket), then waits for its exit status. Like a spare kernel, a spare runner
serves one run and exits; that run leaves the next one.

What stays true on this path:

- the run is the one the command would have made: the same ``fxkit.cli.main`` on the same
  arguments, environment and directory, in a process nobody used before;
- Ctrl-C and SIGTERM reach it (the command forwards them), so a step in progress still
  finishes and the lock is released; if the command itself is killed, the runner sees
  its socket close and stops the run the way SIGTERM would;
- only this user's own processes can hand it a run: its socket is in the pool's private
  directory, and both ends check each other's uid (``SO_PEERCRED``).

The command hands over a run only from the command line itself (its standard streams
are file descriptors 0, 1 and 2), for one host; ``FXKIT_WARM_KERNELS=0`` turns spares off.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

# What a spare runner imports while it waits: what ``fxkit run`` imports before its first
# cell (the CLI, the runner, papermill and its engine, the Jupyter client, the progress bar).
PRELOAD = ("fxkit.cli", "fxkit.cli.runbook", "fxkit.cli.progress", "fxkit.cli.hostopts",
           "fxkit.cli.runreport", "fxkit.runbook.runner", "fxkit.runbook.live",
           "fxkit.runbook.pool", "papermill.inspection", "papermill.engines",
           "papermill.translators", "nbclient", "tqdm")
RUNNERS = "runners"        # the pool's subdirectory of spare runners
CLAIM_WAIT = 5.0           # a claimed runner not contacted within this is abandoned
STARTING = 10.0            # a runner's directory without its pid this young is starting
HEADER = struct.Struct("!I")
CRED = struct.Struct("3i")   # struct ucred: pid, uid, gid

serving = False   # set in a spare runner once it serves its run: it never hands it on


def runners_dir(create: bool = True) -> Path | None:
    """The pool's private directory of spare runners (None if the pool is not safely ours)."""
    from fxkit.runbook.pool import pool_dir
    pool = pool_dir()
    if pool is None:
        return None
    where = pool / RUNNERS
    if create:
        with contextlib.suppress(FileExistsError):
            where.mkdir(mode=0o700)
    return where if where.is_dir() and not where.is_symlink() else None


def from_command_line() -> bool:
    """Whether this process's standard streams are its file descriptors 0, 1 and 2 (not a
    test's captured streams): the only case where they can be handed over."""
    try:
        return (sys.stdin.fileno(), sys.stdout.fileno(), sys.stderr.fileno()) == (0, 1, 2)
    except (AttributeError, ValueError, OSError):
        return False


# -- the command's side -------------------------------------------------------------------

def hand_over(argv: list[str], prog: str) -> int | None:
    """Run ``argv`` (``fxkit run ...``; usage lines name the command ``prog``) in a ready
    spare runner and return its exit status; None if there is none (or it declined), and
    the command runs the run itself."""
    from fxkit.runbook.pool import claim_each, fingerprint, warm_enabled
    if serving or not warm_enabled() or not from_command_line():
        return None
    where = runners_dir(create=False)
    if where is None:
        return None
    for spare in claim_each(where, fingerprint()):
        code = _talk(spare, argv, prog)
        if code is not None:
            return code
    return None


def _talk(spare: Path, argv: list[str], prog: str = "fxkit") -> int | None:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        _connect(sock, spare)
        pid, uid, _gid = CRED.unpack(sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                                                      CRED.size))
        if uid != os.getuid():
            return None
        umask = os.umask(0)
        os.umask(umask)
        request = json.dumps({"argv": argv, "env": dict(os.environ), "cwd": os.getcwd(),
                              "umask": umask, "path0": sys.path[0] if sys.path else "",
                              "fxkit": fxkit_file(), "prog": prog}).encode()
        socket.send_fds(sock, [HEADER.pack(len(request))], [0, 1, 2])
        sock.sendall(request)
        if _line(sock) != b"ok":
            return None          # declined: nothing was run
    except OSError:
        return None              # gone meanwhile: nothing was run
    finally:
        with contextlib.suppress(OSError):
            shutil.rmtree(spare, ignore_errors=True)
    # From here on, the run is the runner's: pass it our signals, wait for its status.
    def forward(signum: int, _frame: object) -> None:
        with contextlib.suppress(OSError):
            os.kill(pid, signum)

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, forward)
    try:
        status = _line(sock)
    except OSError:
        status = b""
    finally:
        sock.close()
    if status.startswith(b"exit "):
        return int(status[5:])
    print(f"fxkit: the process that ran this run (pid {pid}) ended without an exit status; "
          "`fxkit runs` shows what it recorded", file=sys.stderr)
    return 1


def _connect(sock: socket.socket, spare: Path) -> None:
    """Connect to ``spare/socket`` by way of a descriptor of its directory: a Unix socket's
    path is limited to 107 bytes, a pool's path is not."""
    fd = os.open(spare, os.O_RDONLY | os.O_DIRECTORY)
    try:
        sock.connect(f"/proc/self/fd/{fd}/socket")
    finally:
        os.close(fd)


def _line(sock: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"\n"):
        chunk = sock.recv(64)
        if not chunk:
            return b""
        data += chunk
    return data.rstrip(b"\n")


def fxkit_file() -> str:
    """Where this process's fxkit comes from (a runner declines a run from another)."""
    import fxkit
    return str(fxkit.__file__)


# -- leaving one for the next run ---------------------------------------------------------

def leave() -> None:
    """Start a spare runner for the next ``fxkit run``, unless one with this fingerprint is
    ready or starting. It exits unclaimed after ``$FXKIT_WARM_KERNEL_IDLE`` seconds."""
    from fxkit.runbook.pool import MAX_SPARES, fingerprint, mtime_of, warm_enabled
    from fxkit.runbook.warm import PER_RUN, pid_alive
    if not warm_enabled() or not from_command_line():
        return
    where = runners_dir()
    if where is None:
        return
    mark = fingerprint()
    waiting = []
    for spare in sorted(where.glob("*-*"), key=mtime_of):
        pid = _pid_of(spare)
        if pid is None and time.time() - mtime_of(spare) / 1e9 < STARTING:
            pass                                         # another command is starting it
        elif pid is None or not pid_alive(pid):
            shutil.rmtree(spare, ignore_errors=True)   # died, or never wrote its pid
            continue
        if spare.name.startswith(mark + "-") and not (spare / "claimed").exists():
            return                                       # one is ready, or about to be
        elif not (spare / "claimed").exists():
            waiting.append(spare)
    for old in waiting[:max(len(waiting) - MAX_SPARES + 1, 0)]:
        with contextlib.suppress(OSError):
            (old / "expire").touch()
    spare = where / f"{mark}-{os.getpid()}-{secrets.token_hex(3)}"
    spare.mkdir(mode=0o700)
    env = {k: v for k, v in os.environ.items() if k not in PER_RUN}
    proc = subprocess.Popen([sys.executable, "-m", "fxkit.cli.spare_runner", str(spare)], env=env,
                            cwd=spare, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True, close_fds=True)
    (spare / "pid").write_text(str(proc.pid))


def _pid_of(spare: Path) -> int | None:
    try:
        return int((spare / "pid").read_text())
    except (OSError, ValueError):
        return None
