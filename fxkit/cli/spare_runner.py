"""The spare runner itself: ``python -m fxkit.cli.spare_runner DIR`` (started by
``fxkit.cli.spare.leave``, in DIR).

It imports what ``fxkit run`` imports (``spare.PRELOAD``), listens on ``DIR/socket`` and
writes ``DIR/ready``; then it serves one command (``spare.hand_over``): it takes that
command's standard streams, environment, directory, umask and arguments, runs
``fxkit.cli.main`` on them, and sends back its exit status. Unclaimed after
``$FXKIT_WARM_KERNEL_IDLE`` seconds, told to expire, or when DIR is removed, it exits.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import struct
import sys
import time
from pathlib import Path
from typing import Any

from fxkit.cli import main, spare
from fxkit.cli.spare import CLAIM_WAIT, CRED, HEADER, PRELOAD, fxkit_file


def serve(here: Path, idle: float) -> int:
    """Import ``PRELOAD``, wait for one run on ``here/socket``, run it, return its status."""
    import importlib

    from fxkit.runbook.params import import_papermill
    signal.signal(signal.SIGINT, signal.default_int_handler)   # even if started ignoring it
    import_papermill()
    for name in PRELOAD:
        importlib.import_module(name)
    # the notebook schema, compiled on the run's first validation otherwise (0.1 s)
    from nbformat import v4
    from nbformat.validator import get_validator
    get_validator(4, v4.nbformat_minor)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind("socket")   # relative: its directory is this process's (``leave``)
    listener.listen(1)
    listener.settimeout(0.5)
    (here / "ready").touch()
    conn = _accept(listener, here, idle)
    if conn is None:
        return 0
    listener.close()
    request = _request(conn)
    if request is None:
        with contextlib.suppress(OSError):
            conn.sendall(b"declined\n")
        return 0
    fds, about = request
    _become(fds, about)
    conn.sendall(b"ok\n")
    ended = _watch_command(conn)
    spare.serving = True
    code = _run_main(str(about.get("prog") or "fxkit"))
    ended.set()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    with contextlib.suppress(OSError):
        conn.sendall(f"exit {code}\n".encode())
    return code


def _accept(listener: socket.socket, here: Path, idle: float) -> socket.socket | None:
    """The command that claimed this spare, or None when it is not wanted any more
    (unclaimed for ``idle`` seconds, told to expire, its directory gone)."""
    deadline = time.monotonic() + idle
    claimed_at = None
    while True:
        try:
            conn, _ = listener.accept()
        except TimeoutError:
            conn = None
        if conn is not None:
            _pid, uid, _gid = CRED.unpack(conn.getsockopt(
                socket.SOL_SOCKET, socket.SO_PEERCRED, CRED.size))
            if uid == os.getuid():
                conn.settimeout(CLAIM_WAIT)
                return conn
            conn.close()
            continue
        if not here.is_dir():
            return None
        if (here / "claimed").exists():
            claimed_at = claimed_at or time.monotonic()
            if time.monotonic() - claimed_at > CLAIM_WAIT:
                return None   # its command died between the claim and the call
            continue
        if time.monotonic() >= deadline or (here / "expire").exists():
            with contextlib.suppress(OSError):
                (here / "ready").rename(here / "expired")
                shutil.rmtree(here, ignore_errors=True)
                return None
            # claimed this very moment: wait for the call


def _request(conn: socket.socket) -> tuple[list[int], dict[str, Any]] | None:
    """The command's descriptors and what it sent, if it is the run this spare was made
    for (same environment but for ``PER_RUN``, same fxkit); None otherwise."""
    from fxkit.runbook.warm import PER_RUN
    try:
        header, fds, _flags, _addr = socket.recv_fds(conn, HEADER.size, 3)
        size, = HEADER.unpack(header)
        body = b""
        while len(body) < size:
            chunk = conn.recv(size - len(body))
            if not chunk:
                return None
            body += chunk
        about = json.loads(body)
    except (OSError, ValueError, struct.error):
        return None
    mine = {k: v for k, v in os.environ.items() if k not in PER_RUN}
    theirs = {k: v for k, v in about.get("env", {}).items() if k not in PER_RUN}
    if len(fds) != 3 or mine != theirs or about.get("fxkit") != fxkit_file():
        for fd in fds:
            with contextlib.suppress(OSError):
                os.close(fd)
        return None
    conn.settimeout(None)
    return fds, about


def _become(fds: list[int], about: dict[str, Any]) -> None:
    """Take the command's streams, environment, directory, umask and arguments."""
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    os.environ.clear()
    os.environ.update(about["env"])
    os.chdir(about["cwd"])
    os.umask(int(about["umask"]))
    sys.argv = list(about["argv"])
    if sys.path:
        sys.path[0] = str(about["path0"])
    # new stream objects over the new descriptors: a terminal is line-buffered again
    enc, errors = sys.stdout.encoding, sys.stdout.errors
    sys.stdin = sys.__stdin__ = open(0, encoding=sys.stdin.encoding, closefd=False)  # noqa: SIM115
    sys.stdout = sys.__stdout__ = open(1, "w", encoding=enc, errors=errors, closefd=False,  # noqa: SIM115
                                       buffering=1 if os.isatty(1) else -1)
    sys.stderr = sys.__stderr__ = open(2, "w", encoding=sys.stderr.encoding,  # noqa: SIM115
                                       errors="backslashreplace", closefd=False, buffering=1)


def _watch_command(conn: socket.socket) -> Any:
    """If the command goes away (killed) before the run ends, stop the run as SIGTERM
    would. Returns the event to set once the run has ended."""
    import threading
    ended = threading.Event()

    def watch() -> None:
        with contextlib.suppress(OSError):
            while conn.recv(64):
                pass
        if not ended.is_set():
            os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, daemon=True, name="fxkit-command").start()
    return ended


def _run_main(prog: str) -> int:
    try:
        main(prog_name=prog)
    except SystemExit as e:
        if e.code is None:
            return 0
        if isinstance(e.code, int):
            return e.code
        print(e.code, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    from fxkit.runbook.warm import idle_seconds
    try:
        status = serve(Path(sys.argv[1]), idle_seconds())
    except KeyboardInterrupt:
        status = 130
    sys.exit(status)
