"""ssh_config's ``ProxyCommand``: run it as OpenSSH does and talk SSH over its stdin/stdout.

OpenSSH runs ``exec COMMAND`` with the user's shell (``$SHELL -c``, else /bin/sh), after
replacing ``%h``, ``%p``, ``%r``, ``%n`` and ``%%``; fxkit does the same. The text is the
user's own configuration, never fxkit's input, and the values put into it are host and
user names that passed ``check_destination`` (no shell syntax)::

    >>> sock = ProxySocket.start("ssh -W %h:%p gw", {"h": "fx", "p": "22"})   # doctest: +SKIP
"""

from __future__ import annotations

import os
import socket
import subprocess
import threading
from dataclasses import dataclass, field

from fxkit.errors import ConnectionFailed
from fxkit.transports.openssh import expand_tokens


@dataclass
class ProxySocket:
    """The local end of a socketpair whose other end is the proxy command's stdin/stdout."""

    command: str
    sock: socket.socket
    proc: subprocess.Popen[bytes]
    stderr: list[bytes] = field(default_factory=list)
    reader: threading.Thread | None = None

    @classmethod
    def start(cls, command: str, tokens: dict[str, str]) -> ProxySocket:
        line = expand_tokens(command, tokens)
        shell = os.environ.get("SHELL") or "/bin/sh"
        ours, theirs = socket.socketpair()
        try:
            proc = subprocess.Popen([shell, "-c", f"exec {line}"], stdin=theirs, stdout=theirs,
                                    stderr=subprocess.PIPE, start_new_session=True)
        except OSError as e:
            ours.close()
            raise ConnectionFailed(f"cannot run ProxyCommand `{line}` with {shell}: {e}") \
                from None
        finally:
            theirs.close()
        self = cls(line, ours, proc)
        self.reader = threading.Thread(target=self._drain, daemon=True)
        self.reader.start()
        return self

    def _drain(self) -> None:
        assert self.proc.stderr is not None
        while chunk := self.proc.stderr.read(4096):
            self.stderr.append(chunk)
            del self.stderr[:-4]        # keep the last few KiB for error messages

    def why(self) -> str:
        """What the proxy said on stderr, and its exit status if it ended."""
        try:   # a proxy that failed is usually exiting right now: give it a moment
            self.proc.wait(timeout=1)
        except subprocess.TimeoutExpired:
            pass
        if self.reader is not None:
            self.reader.join(timeout=1)
        text = b"".join(self.stderr).decode(errors="replace").strip()
        status = self.proc.poll()
        ended = f"it exited with status {status}" if status is not None else "it still runs"
        return f"ProxyCommand `{self.command}`: {ended}" + (f"; it said: {text}" if text else "")

    def close(self) -> None:
        self.sock.close()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
