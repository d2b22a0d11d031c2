"""Interactive ``ssh fx`` on the lab: a small bash-like prompt, or a script on stdin.

With a terminal (``ssh -F <labdir>/ssh_config fx``) the lab echoes keystrokes, handles
backspace, Ctrl-C, Ctrl-U and Ctrl-D, and prompts ``root@fx:~# `` like Debian's bash.
Without one (``ssh -T fx < script``) it runs stdin line by line, silently, like
``bash -s``. Each line is one lab request (faults apply per line); ``cd`` persists.
"""

from __future__ import annotations

import time

import paramiko

from fxkit.lab.shell.base import HOME
from fxkit.lab.store import LabStore
from fxkit.lab.transport import run_request


class InteractiveSession:
    """One shell channel; ``run()`` returns when the user exits or the channel closes."""

    def __init__(self, channel: paramiko.Channel, store: LabStore,
                 transport: paramiko.Transport, tty: bool) -> None:
        self.channel, self.store, self.transport, self.tty = channel, store, transport, tty
        self.cwd, self.status = HOME, 0
        self._pending = b""

    def run(self) -> None:
        time.sleep(0.05)  # let paramiko answer the shell request before the first prompt
        try:
            while (line := self._readline()) is not None:
                words = line.strip().split()
                if not words:
                    continue
                if words[0] in ("exit", "logout"):
                    if len(words) > 1 and words[1].isdigit():
                        self.status = int(words[1]) % 256
                    break
                reply = run_request(self.store, line=line, cwd=self.cwd)
                if reply.drop:
                    self.transport.close()
                    return
                self._out(reply.stdout)
                self._out(reply.stderr, stderr=not self.tty)
                self.cwd, self.status = reply.cwd, reply.status
            if self.tty:
                self._out("logout\n")
            self.channel.send_exit_status(self.status)
        except (OSError, EOFError, paramiko.SSHException):
            return
        finally:
            self.channel.close()

    def _prompt(self) -> str:
        host = self.store.load().hostname
        where = "~" if self.cwd == HOME else self.cwd
        return f"root@{host}:{where}# "

    def _out(self, text: str, stderr: bool = False) -> None:
        if not text:
            return
        data = (text.replace("\n", "\r\n") if self.tty else text).encode()
        (self.channel.sendall_stderr if stderr else self.channel.sendall)(data)

    def _recv(self) -> bytes:
        if self._pending:
            data, self._pending = self._pending, b""
            return data
        return self.channel.recv(4096)

    def _readline(self) -> str | None:
        """One line of input, None at end of input (EOF, or Ctrl-D on an empty line)."""
        if not self.tty:
            buf = b""
            while b"\n" not in buf:
                data = self._recv()
                if not data:
                    return buf.decode(errors="replace") if buf else None
                buf += data
            line, _, self._pending = buf.partition(b"\n")
            return line.decode(errors="replace")
        self.channel.sendall(self._prompt().encode())
        buf = bytearray()
        while True:
            data = self._recv()
            if not data:
                return None
            for i, byte in enumerate(data):
                if byte in (0x0D, 0x0A):  # Enter
                    self._pending = data[i + 1:].lstrip(b"\n")
                    self.channel.sendall(b"\r\n")
                    return buf.decode(errors="replace")
                if byte in (0x7F, 0x08):  # backspace
                    if buf:
                        buf.pop()
                        self.channel.sendall(b"\b \b")
                elif byte == 0x03:  # Ctrl-C: drop the line
                    self.channel.sendall(b"^C\r\n")
                    self._pending = data[i + 1:]
                    return ""
                elif byte == 0x04 and not buf:  # Ctrl-D on an empty line
                    self.channel.sendall(b"\r\n")
                    return None
                elif byte == 0x15:  # Ctrl-U: kill the line
                    self.channel.sendall(b"\b \b" * len(buf))
                    buf.clear()
                elif byte >= 0x20 or byte == 0x09:
                    buf.append(byte)
                    self.channel.sendall(bytes([byte]))
