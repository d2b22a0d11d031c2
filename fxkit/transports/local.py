"""The local machine as a Host: subprocesses, no shell."""

from __future__ import annotations

import getpass
import os
import signal
import subprocess
import tempfile
from dataclasses import dataclass

from fxkit.errors import ParseError
from fxkit.host import Exec, Host
from fxkit.privilege import read_as_root, write_as_root
from fxkit.transports.argv import check_argv, encode


@dataclass(eq=False)
class LocalHost(Host):
    """Runs commands with ``subprocess`` on this machine (``connect("local")``)."""

    name: str = "local"

    def _exec(self, argv: tuple[str, ...], *, timeout: float | None, input: str | None,
              read_only: bool) -> Exec:
        args = check_argv(argv)      # bytes: exact, and a lone surrogate is refused here
        data = encode(input, "stdin") if input is not None else None
        try:
            proc = subprocess.Popen(
                args, stdin=subprocess.PIPE if data is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        except FileNotFoundError:
            return Exec(127, "", f"{argv[0]}: command not found\n")
        except PermissionError:
            return Exec(126, "", f"{argv[0]}: Permission denied\n")
        try:
            # communicate() drains both pipes at once, so a chatty stderr cannot block.
            out, err = proc.communicate(data, timeout=timeout)
            return Exec(proc.returncode, _text(out), _text(err))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
            return Exec(-signal.SIGKILL, _text(out), _text(err), timed_out=True)

    def login(self) -> str | None:
        try:
            return getpass.getuser()
        except Exception:  # noqa: BLE001 - no passwd entry (containers)
            return None

    def read_file(self, path: str) -> str:
        try:
            with open(path, "rb") as fh:
                return utf8_text(fh.read(), path)
        except PermissionError:
            if not self.sudo:
                raise
            return read_as_root(self, path)

    def write_file(self, path: str, content: str, mode: int | None = None) -> None:
        if self.sudo:
            write_as_root(self, os.path.abspath(path), content, mode)
            return
        directory = os.path.dirname(os.path.abspath(path))
        if mode is None:
            try:
                mode = os.stat(path).st_mode & 0o7777
            except FileNotFoundError:
                mode = 0o644
        fd, tmp = tempfile.mkstemp(prefix=".fxkit-", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(content)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, mode)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise


def _text(data: bytes) -> str:
    return data.decode(errors="replace")


def utf8_text(data: bytes, path: str) -> str:
    """A file's bytes as text, or a ParseError naming the file: a file fxkit may write
    back is never decoded lossily."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ParseError(f"{path} is not UTF-8 text (byte 0x{data[e.start]:02x} at offset "
                         f"{e.start}): fxkit reads and writes it as UTF-8; convert it (iconv "
                         "-t UTF-8) or fix the bytes") from None
