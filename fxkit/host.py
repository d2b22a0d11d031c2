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
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import ClassVar, NamedTuple

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
    # True when ``_exec_reads`` sends several reads in one round trip (SSH)
    sends_batches: ClassVar[bool] = False
    # reads sent ahead by ``reads_ahead``, by command, until taken
    _ahead: dict[tuple[str, ...], tuple[Exec, Result]] | None = field(
        default=None, init=False, repr=False, compare=False)

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
        cmd, via_sudo = self._command(argv, sudo)
        if not read_only:
            self._ahead = None          # a change: reads sent ahead may no longer hold
        ahead = self._ahead.pop(cmd, None) if self._ahead and input is None else None
        out, result = ahead or self._audited(cmd, timeout=timeout, input=input,
                                             read_only=read_only)
        return self._settle(out, result, via_sudo, check)

    @contextmanager
    def reads_ahead(self, argvs: Sequence[Sequence[str]], *,
                    sudo: bool = False) -> Iterator[None]:
        """Send these reads now, together; within the block, a read of the same argv
        (``run(..., read_only=True)`` or ``run_reads``) takes its result instead of being
        sent. This is how a reader of several layers (the inventory, LVM facts with their
        domU users) has their independent reads go in one round trip while each layer's
        reader stays as it is. A command that is no read ends it; so does the block.
        Where the transport has no batches, this sends nothing ahead."""
        if not self.sends_batches:
            yield
            return
        cmds = [self._command(argv, sudo)[0] for argv in argvs]
        self._ahead = dict(zip(cmds, self._audited_reads(cmds, None), strict=True))
        try:
            yield
        finally:
            self._ahead = None

    def run_reads(self, argvs: Sequence[Sequence[str]], *, check: bool | Sequence[bool] = True,
                  timeout: float | None = None, sudo: bool = False) -> list[Result]:
        """Run read-only commands together: one round trip where the transport can (over
        SSH, one channel where ``/bin/sh`` runs them in turn), else one after the other.

        Each result is what ``run(argv, read_only=True, check=check)`` gives, in order; with
        ``check``, the first command that failed raises, once all of them ran (``check``
        may also say it per command). ``timeout`` is for the whole batch. In the audit log
        each command has its own line, as a read run alone has.
        """
        cmds = [self._command(argv, sudo) for argv in argvs]
        checks = [check] * len(cmds) if isinstance(check, bool) else list(check)
        if len(checks) != len(cmds):
            raise InvalidRequest(f"run_reads: {len(cmds)} commands but {len(checks)} checks")
        if len(cmds) == 1:
            return [self.run(argvs[0], check=checks[0], timeout=timeout, sudo=sudo,
                             read_only=True)]
        ahead = self._ahead or {}
        missing = list(dict.fromkeys(cmd for cmd, _ in cmds if cmd not in ahead))
        sent = dict(zip(missing, self._audited_reads(missing, timeout), strict=True)) \
            if missing else {}
        done = [ahead.pop(cmd) if cmd in ahead else sent[cmd] for cmd, _ in cmds]
        return [self._settle(out, result, via_sudo, ok)
                for (out, result), (_, via_sudo), ok in zip(done, cmds, checks, strict=True)]

    def _command(self, argv: Sequence[str], sudo: bool) -> tuple[tuple[str, ...], bool]:
        cmd = normalize_argv(argv)
        via_sudo = (sudo or self.sudo) and cmd[0] != "sudo"   # an explicit sudo: left alone
        return (SUDO + cmd if via_sudo else cmd), via_sudo

    def _settle(self, out: Exec, result: Result, via_sudo: bool, check: bool) -> Result:
        """``result``, or the error it is (timeout, sudo's refusal, a missing program, a
        failure under ``check``)."""
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

    def _audited_reads(self, cmds: list[tuple[str, ...]],
                       timeout: float | None) -> list[tuple[Exec, Result]]:
        """``_audited`` for a batch of reads: one audit line per command once it returned."""
        deadline = None if timeout is None else time.monotonic() + timeout
        if not self.sends_batches:          # one after the other, the timeout shared
            return [self._audited(cmd, input=None, read_only=True,
                                  timeout=None if deadline is None else
                                  max(deadline - time.monotonic(), 0.0)) for cmd in cmds]
        log = self.audit
        start = time.perf_counter()
        try:
            done = self._exec_reads(cmds, timeout=timeout)
        except BaseException as lost:   # none came back: a line each, as for a lost read
            if log is not None:
                for cmd in cmds:
                    log.ended(None, self.name, cmd, error=f"{type(lost).__name__}: {lost}",
                              seconds=time.perf_counter() - start)
            raise
        pairs = [(out, Result(cmd, out.exit_status, out.stdout, out.stderr, seconds,
                              self.name)) for cmd, (out, seconds) in zip(cmds, done, strict=True)]
        if log is not None:
            log.record_all([(result, {"timed_out": True} if out.timed_out else {})
                            for out, result in pairs])
        return pairs

    def _exec_reads(self, cmds: list[tuple[str, ...]], *,
                    timeout: float | None) -> list[tuple[Exec, float]]:
        """Run read-only commands in one go, each with its duration in seconds (only
        called when ``sends_batches``)."""
        raise NotImplementedError

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
