"""The lab server's process entry point: ``python -m fxkit.lab.ssh.serve --root DIR fx=2207``."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path

from fxkit.lab.ssh.daemon import write_client_files, write_status
from fxkit.lab.ssh.server import LabServer


def serve(root: Path, ports: dict[str, int], ready: threading.Event | None = None) -> None:
    """Serve until SIGTERM/SIGINT (or ``server.stop()``); cleans its status file."""
    server = LabServer(ports, root)
    actual = server.start()
    write_client_files(root, actual, server.keys)
    write_status(root, actual)
    logging.getLogger("fxkit.lab.ssh.server").info("serving %s", actual)
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: server.stop())
    if ready:
        ready.set()
    try:
        server.wait()
    finally:
        server.stop()
        status_file = root / "server.json"
        try:
            if f'"pid": {os.getpid()},' in status_file.read_text():
                status_file.unlink()
                (root / "server.pid").unlink(missing_ok=True)
        except FileNotFoundError:
            pass


def _detach(root: Path, timeout: float = 10.0) -> None:
    """Fork: the child serves (its own session, reparented when we exit); the parent
    waits until the child's status file appears, then exits 0, or 1 if the child died."""
    child = os.fork()
    if child == 0:
        os.setsid()
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.waitpid(child, os.WNOHANG)[0]:
            os._exit(1)
        try:
            if f'"pid": {child},' in (root / "server.json").read_text():
                os._exit(0)
        except FileNotFoundError:
            pass
        time.sleep(0.01)
    os.kill(child, signal.SIGKILL)
    os._exit(1)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m fxkit.lab.ssh.serve")
    parser.add_argument("--root", required=True)
    parser.add_argument("--daemon", action="store_true",
                        help="fork: exit 0 once the server listens, 1 if it died first")
    parser.add_argument("ports", nargs="+",
                        help="SCENARIO=PORT or lab fleet HOST=PORT (0: any free port)")
    args = parser.parse_args(argv)
    if args.daemon:
        _detach(Path(args.root))
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("paramiko").setLevel(logging.WARNING)
    ports = {}
    for item in args.ports:
        name, _, port = item.partition("=")
        ports[name] = int(port or 0)
    serve(Path(args.root), ports)


if __name__ == "__main__":
    main()
