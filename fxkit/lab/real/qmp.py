"""A small synchronous QMP client: QEMU's JSON machine protocol on the lab's unix socket.

QEMU's own Python package (``qemu.qmp``) is asyncio-only; the lab needs a handful of
commands in order (stop, migrate, query-migrate, cont), so this speaks the protocol
directly (QEMU's docs/interop/qmp-spec.rst): a greeting, ``qmp_capabilities``, then one
JSON object per line each way; asynchronous events may arrive between replies::

    with Qmp.connect(state.qmp) as qmp:
        qmp.execute("stop")
        qmp.execute("getfd", {"fdname": "fxsave"}, fds=[f.fileno()])
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fxkit.errors import LabError

# sun_path is 108 bytes on Linux, NUL included.
MAX_SOCKET_PATH = 107


class QmpError(LabError):
    """QEMU answered a QMP command with an error (its class and description)."""


class Qmp:
    """One QMP session on a connected socket (see the module docstring)."""

    def __init__(self, sock: socket.socket, timeout: float = 30.0) -> None:
        self.sock = sock
        self.sock.settimeout(timeout)
        self.buffer = b""
        self.events: list[dict[str, Any]] = []
        greeting = self._read()
        if "QMP" not in greeting:
            raise LabError(f"QEMU's monitor socket did not greet with QMP: {greeting!r}")
        self.version = greeting["QMP"].get("version", {}).get("qemu", {})
        self.execute("qmp_capabilities")

    @classmethod
    def connect(cls, path: Path, timeout: float = 30.0, wait: float = 10.0) -> Qmp:
        """Connect to QEMU's QMP socket at ``path``, waiting up to ``wait`` s for it."""
        if len(str(path).encode()) > MAX_SOCKET_PATH:
            raise LabError(f"the real lab's QMP socket path {path} is longer than a unix "
                           f"socket allows ({MAX_SOCKET_PATH} bytes): set FXKIT_LAB_DIR to "
                           "a shorter directory")
        deadline = time.monotonic() + wait
        while True:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.connect(str(path))
                return cls(sock, timeout)
            except OSError as e:
                sock.close()
                if time.monotonic() >= deadline:
                    raise LabError(f"cannot reach the real lab's QEMU monitor at {path}: "
                                   f"{e.strerror or e}; is its QEMU running?") from None
                time.sleep(0.1)
            except BaseException:
                sock.close()
                raise

    def execute(self, command: str, arguments: dict[str, Any] | None = None, *,
                fds: Sequence[int] = ()) -> Any:
        """Run ``command``; its ``return`` value, or QmpError. ``fds`` ride along as
        SCM_RIGHTS (how ``getfd`` hands QEMU an open file)."""
        msg: dict[str, Any] = {"execute": command}
        if arguments:
            msg["arguments"] = arguments
        data = json.dumps(msg).encode() + b"\n"
        try:
            if fds:
                socket.send_fds(self.sock, [data], list(fds))
            else:
                self.sock.sendall(data)
        except OSError as e:
            raise LabError(f"QMP {command}: the connection to QEMU failed ({e})") from None
        while True:
            reply = self._read()
            if "event" in reply:
                self.events.append(reply)
                continue
            if "error" in reply:
                err = reply["error"]
                raise QmpError(f"QEMU refused {command}: {err.get('class', '?')}: "
                               f"{err.get('desc', '')}")
            if "return" in reply:
                return reply["return"]
            raise LabError(f"QMP {command}: unexpected answer {reply!r}")

    def _read(self) -> dict[str, Any]:
        while b"\n" not in self.buffer:
            try:
                chunk = self.sock.recv(65536)
            except OSError as e:
                raise LabError(f"QMP: no answer from QEMU ({e})") from None
            if not chunk:
                raise LabError("QMP: QEMU closed its monitor socket (did it exit?)")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        try:
            value = json.loads(line)
        except ValueError as e:
            raise LabError(f"QMP: QEMU sent something that is not JSON: {line[:200]!r}") from e
        if not isinstance(value, dict):
            raise LabError(f"QMP: expected a JSON object, got {line[:200]!r}")
        return value

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> Qmp:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def wait_migration(qmp: Qmp, timeout: float, poll: float = 0.1) -> dict[str, Any]:
    """Poll ``query-migrate`` until it completes; its last answer. Failure is a LabError."""
    deadline = time.monotonic() + timeout
    while True:
        info = qmp.execute("query-migrate")
        status = info.get("status")
        if status == "completed":
            return info
        if status in ("failed", "cancelled"):
            why = info.get("error-desc", "no reason given")
            raise LabError(f"QEMU's migration {status}: {why}")
        if time.monotonic() >= deadline:
            raise LabError(f"QEMU's migration did not complete within {timeout:.0f} s "
                           f"(status {status!r})")
        time.sleep(poll)


__all__ = ["Qmp", "QmpError", "wait_migration", "MAX_SOCKET_PATH"]
