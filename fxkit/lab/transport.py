"""``LabHost``: the simulated fx as an in-process Host, on the persisted lab state.

Every command runs inside one store transaction (lock, load, run, save), so an
in-process LabHost, other processes and the lab's SSH server can share a lab::

    >>> from fxkit.lab import LabHost
    >>> with LabHost("lab") as fx:                          # doctest: +SKIP
    ...     fx.run(["uname", "-r"]).stdout
    '2.6.18-5-xen-amd64\\n'
"""

from __future__ import annotations

import contextvars
import errno
import os
import posixpath
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from fxkit.errors import ConnectionFailed
from fxkit.host import Exec, Host
from fxkit.lab import faults
from fxkit.lab.shell import cmdline
from fxkit.lab.shell.base import CWD, HOME
from fxkit.lab.shell.files import virtual_file
from fxkit.lab.shell.interpreter import execute, run_script
from fxkit.lab.state import LabState
from fxkit.lab.store import DEFAULT_SCENARIO, LabStore


@dataclass
class Reply:
    """The lab's answer to one request; ``drop`` means: close the connection instead."""

    status: int
    stdout: str = ""
    stderr: str = ""
    drop: bool = False
    timed_out: bool = False
    cwd: str = HOME  # the working directory after the request (for interactive sessions)


def run_request(store: LabStore, *, argv: list[str] | None = None, line: str | None = None,
                stdin: str = "", timeout: float | None = None, cwd: str = HOME,
                cancelled: Callable[[], bool] = lambda: False,
                waiting: Callable[[], None] = lambda: None) -> Reply:
    """Run one argv (in-process) or one shell line (SSH exec), applying the faults.

    ``cancelled`` is polled during an injected delay: a client that gave up (timeout,
    closed channel) kills the command before it runs, as on a real host. ``waiting`` is
    called as such a delay begins (a batch sends what it holds: ``run_batch``).
    """
    words = list(argv) if argv is not None else cmdline.first_argv(line or "")
    with store.transaction() as state:
        action = faults.take(state, words)
        if action.drop and not action.run_before_drop:
            return Reply(-1, drop=True)
        if not action.delay:
            if action.fail:
                return Reply(*action.fail)
            return _run(state, argv, line, stdin, cwd, action.drop)
    # A delayed command waits outside the lock: other clients carry on meanwhile.
    waiting()
    if timeout is not None and action.delay > timeout:
        time.sleep(max(timeout, 0))
        return Reply(-9, timed_out=True)  # killed at its timeout: it never ran
    deadline = time.monotonic() + action.delay
    while (left := deadline - time.monotonic()) > 0:
        if cancelled():
            return Reply(-9, timed_out=True)
        time.sleep(min(left, 0.05))
    if action.fail:
        return Reply(*action.fail)
    with store.transaction() as state:
        return _run(state, argv, line, stdin, cwd, action.drop)


def run_batch(store: LabStore, marker: str, argvs: list[list[str]], *,
              emit: Callable[[str, str], None],
              cancelled: Callable[[], bool] = lambda: False,
              waiting: Callable[[], None] = lambda: None) -> Reply:
    """A batch of reads (``fxkit.transports.argv.batch_line``) as ``/bin/sh`` runs it:
    each argv in turn with empty stdin, its output followed by the marker lines, handed to
    ``emit(stdout, stderr)`` as each ends; ``waiting()`` before a command that waits (an
    injected delay). A fault that drops the connection or kills a command ends the batch
    there; the Reply is the batch's own end."""
    for argv in argvs:
        reply = run_request(store, argv=argv, cancelled=cancelled, waiting=waiting)
        if reply.drop or reply.timed_out:
            return reply
        emit(f"{reply.stdout}\n{marker} {reply.status}\n", f"{reply.stderr}\n{marker}\n")
    return Reply(0)


def _run(state: LabState, argv: list[str] | None, line: str | None, stdin: str, cwd: str,
         drop: bool) -> Reply:
    def go() -> Reply:
        CWD.set(cwd)  # in a fresh context: a `cd` never leaks into the next request
        if argv is not None:
            out = execute(state, list(argv), stdin)
        else:
            out = run_script(state, line or "", stdin, keep_cwd=True)
        return Reply(*out, drop=drop, cwd=CWD.get())
    return contextvars.Context().run(go)


@dataclass(eq=False)
class LabHost(Host):
    """The lab's scenario ``scenario`` as a Host, without any network."""

    name: str = "lab"
    scenario: str = DEFAULT_SCENARIO
    root: str | None = None
    store: LabStore = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.store = LabStore(self.scenario, self.root)

    def _exec(self, argv: tuple[str, ...], *, timeout: float | None, input: str | None,
              read_only: bool) -> Exec:
        reply = run_request(self.store, argv=list(argv), stdin=input or "", timeout=timeout)
        if reply.timed_out:
            return Exec(-9, "", "", timed_out=True)
        if reply.drop:
            raise ConnectionFailed(
                f"{self.name}: the lab dropped the connection during `{' '.join(argv)}` "
                "(an injected fault, see `fxkit lab fault list`); reconnect and re-read facts")
        return Exec(reply.status, reply.stdout, reply.stderr)

    def read_file(self, path: str) -> str:
        path = _checked(path)
        with self.store.transaction() as state:
            content = state.read(path)
            if content is None:
                content = virtual_file(state, path)
            if content is not None:
                return content
            if state.is_dir(path):
                raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path)
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), path)

    def write_file(self, path: str, content: str, mode: int | None = None) -> None:
        path = _checked(path)
        with self.store.transaction() as state:
            if state.is_dir(path):
                raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path)
            if not state.is_dir(posixpath.dirname(path)):
                raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), path)
            state.write(path, content, mode)  # one transaction: atomic by construction
            state.tick()


def _checked(path: str) -> str:
    if not isinstance(path, str) or not path.startswith("/"):
        raise FileNotFoundError(errno.ENOENT, "lab paths must be absolute", str(path))
    return posixpath.normpath(path)
