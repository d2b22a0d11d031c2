"""Host: run argv commands on a machine and get one frozen Result back.

A transport (local process, SSH, the in-process lab) supplies four primitives;
everything else (sudo, timing, audit, raising on failure) lives here once::

    >>> from fxkit import connect
    >>> with connect("local") as host:
    ...     host.run(["echo", "hi"]).stdout
    'hi\\n'
"""

from __future__ import annotations

import shlex
import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from fxkit.audit import LOST, AuditLog
from fxkit.errors import (
    CommandFailed,
    CommandTimedOut,
    ConnectionFailed,
    InvalidRequest,
    NotReplayable,
    ToolNotFound,
)
from fxkit.privilege import SUDO, not_found, sudo_failure
from fxkit.result import Result


class Exec(NamedTuple):
    """What a transport returns for one command."""

    exit_status: int
    stdout: str
    stderr: str
    timed_out: bool = False


def normalize_argv(argv: Sequence[str]) -> tuple[str, ...]:
    """Check that a command is a non-empty list of strings (never one shell string)."""
    if isinstance(argv, (str, bytes)):
        raise InvalidRequest(
            f"commands are argument lists, not shell strings: got {argv!r}; "
            f"write it as {shlex.split(argv) if isinstance(argv, str) else '[...]'!r}")
    items = tuple(argv)
    if not items:
        raise InvalidRequest("empty command: give at least the program name")
    for item in items:
        if not isinstance(item, str):
            raise InvalidRequest(f"command argument {item!r} is a {type(item).__name__}, "
                                 "not a str: convert it with str() first")
        if "\x00" in item:
            raise InvalidRequest(f"command argument {item!r} contains a NUL byte")
    return items


@dataclass(eq=False)
class Host(ABC):
    """One machine. Subclasses implement ``_exec``, ``read_file``, ``write_file``, ``close``.

    ``sudo=True`` (say it once: ``connect(target, sudo=True)``) runs every command as
    ``sudo -n -- ARGV``, facts and plan steps alike; file writes then go through
    ``fxkit.privilege.write_as_root``.
    """

    name: str
    audit: AuditLog | None = field(default_factory=AuditLog, repr=False)
    sudo: bool = False   # run commands through ``sudo -n`` (``connect(target, sudo=True)``)

    def run(self, argv: Sequence[str], *, check: bool = True, timeout: float | None = None,
            sudo: bool = False, input: str | None = None, read_only: bool = False) -> Result:
        """Run ``argv``; raise ``CommandFailed`` on non-zero exit unless ``check=False``.

        ``read_only=True`` tells the transport that running the command twice is
        harmless, so it may reconnect and retry after a dropped connection.
        ``sudo=True`` runs this one command through sudo; ``self.sudo`` (set by
        ``connect(target, sudo=True)``, or by a reader's ``sudo=True``) runs them all, which
        is the way to say it. A program missing from the host raises ``ToolNotFound``
        (with ``check``); sudo refusing to run it raises ``SudoRefused`` or
        ``SudoPasswordRequired`` (always: the command did not run, so its status is no
        answer).
        """
        cmd = normalize_argv(argv)
        via_sudo = (sudo or self.sudo) and cmd[0] != "sudo"   # an explicit sudo: left alone
        if via_sudo:
            cmd = SUDO + cmd
        out, result = self._audited(cmd, timeout=timeout, input=input, read_only=read_only)
        if out.timed_out:
            raise CommandTimedOut(result)
        if result.exit_status == 0:
            return result
        if via_sudo:
            problem = sudo_failure(self, result)
            if isinstance(problem, ToolNotFound) and problem.tool != "sudo" and not check:
                return result       # the program is missing: with check=False, an answer
            if problem is not None:
                raise problem
        elif result.exit_status == 127 and check:
            raise not_found(self, result, via_sudo=False)
        if check:
            raise CommandFailed(result)
        return result

    def _audited(self, cmd: tuple[str, ...], *, timeout: float | None, input: str | None,
                 read_only: bool) -> tuple[Exec, Result]:
        """Run ``cmd``, in the audit log whatever happens: a command that may change the
        host is logged before it is sent and again when it ends (its result, or that the
        connection was lost and its outcome is unknown); a read once, when it returns."""
        log = self.audit
        cmd_id = None if log is None or read_only else log.started(self.name, cmd)
        start = time.perf_counter()
        try:
            out = self._exec(cmd, timeout=timeout, input=input, read_only=read_only)
        except BaseException as lost:   # dropped, interrupted: still a line, never silence
            if log is not None:
                outcome = LOST if isinstance(lost, (ConnectionFailed, NotReplayable)) else \
                    f"stopped by {type(lost).__name__}: outcome unknown"
                log.ended(cmd_id, self.name, cmd, error=f"{type(lost).__name__}: {lost}",
                          seconds=time.perf_counter() - start, outcome=outcome)
            raise
        seconds = time.perf_counter() - start
        result = Result(cmd, out.exit_status, out.stdout, out.stderr, seconds, self.name)
        if log is not None:
            extra = {"timed_out": True} if out.timed_out else {}
            if cmd_id is None:
                log.record(result, **extra)
            else:
                log.ended(cmd_id, self.name, cmd, result, **extra)
        return out, result

    def login(self) -> str | None:
        """The user commands run as on the host (before sudo), when known."""
        return None

    @abstractmethod
    def _exec(self, argv: tuple[str, ...], *, timeout: float | None, input: str | None,
              read_only: bool) -> Exec:
        """Run one command; drain stdout and stderr concurrently."""

    @abstractmethod
    def read_file(self, path: str) -> str:
        """The text of a file on the host."""

    @abstractmethod
    def write_file(self, path: str, content: str, mode: int | None = None) -> None:
        """Replace a file atomically (temp file + rename), keeping its mode unless given."""

    def close(self) -> None:  # noqa: B027 - optional hook: transports without a connection
        """Release the connection; the Host reconnects lazily if used again."""

    def __enter__(self) -> Host:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
