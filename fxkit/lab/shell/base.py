"""What every lab command shares: the ``Call`` it receives, ``ToolExit``, and the session's
working directory, environment and C-locale dates.

A handler is a plain function ``Call -> (exit status, stdout, stderr)``::

    def lvs(call: Call) -> Output:
        return 0, "...", ""

It reads and changes ``call.state`` and answers like the real tool. Handlers that
run other commands (``env CMD``, ``bash -c``, ``lvm SUB``, ``which``) go through
``call.run``, ``call.run_script`` and ``call.commands``, which the interpreter
lends them: no handler module imports the interpreter, which imports them all
(see ``fxkit.lab.commands``).
"""

from __future__ import annotations

import datetime as _dt
import posixpath
import re
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Protocol

from fxkit.lab.state import LabState

Output = tuple[int, str, str]

HOME = "/root"
# The working directory of the request being run (``cd`` changes it for the rest of
# a command line or an interactive session); each request starts at HOME.
CWD: ContextVar[str] = ContextVar("lab_cwd", default=HOME)
ENV = {"HOME": HOME, "LOGNAME": "root", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
       "SHELL": "/bin/bash", "USER": "root"}


class Runner(Protocol):
    """Runs one more command on the same state, as the interpreter would."""

    def __call__(self, argv: list[str], stdin: str = "",
                 env: dict[str, str] | None = None) -> Output: ...


class ScriptRunner(Protocol):
    """Runs a command line on the same state, as ``bash -c`` would."""

    def __call__(self, line: str, stdin: str = "") -> Output: ...


def _not_lent(*args: object, **kwargs: object) -> Output:
    raise RuntimeError("this Call was not made by the lab's interpreter: it cannot run "
                       "other commands (use fxkit.lab.shell.interpreter.execute)")


@dataclass
class Call:
    """One command being run: its argv (``argv[0]`` without a directory), the state,
    stdin, the extra environment, and the interpreter's means to run other commands."""

    argv: list[str]
    state: LabState
    stdin: str = ""
    env: dict[str, str] = field(default_factory=dict)
    run: Runner = field(default=_not_lent, repr=False, compare=False)
    run_script: ScriptRunner = field(default=_not_lent, repr=False, compare=False)
    # name -> handler of every command the interpreter answers (what `which` finds)
    commands: Mapping[str, Handler] = field(default_factory=dict, repr=False, compare=False)

    @property
    def args(self) -> list[str]:
        return self.argv[1:]


Handler = Callable[[Call], Output]


class ToolExit(Exception):
    """Raised by a handler (or its argument parser) to answer at once, e.g. a usage error."""

    def __init__(self, status: int, stdout: str = "", stderr: str = "") -> None:
        super().__init__(stderr)
        self.output: Output = (status, stdout, stderr)


def strip_sudo(argv: list[str]) -> list[str]:
    """``sudo -n [--] CMD ...`` -> ``CMD ...``: the lab's user is root already."""
    argv = list(argv)
    if argv[:1] == ["sudo"]:
        argv = argv[1:]
        while argv and argv[0].startswith("-"):
            if argv.pop(0) == "--":
                break
    return argv


def absolute(path: str) -> str:
    """``path`` made absolute against the working directory, normalised."""
    return posixpath.normpath(path if path.startswith("/") else posixpath.join(CWD.get(), path))


_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


def strftime(when: _dt.datetime, fmt: str) -> str:
    """``when.strftime(fmt)`` in the C locale whatever the process's locale (a French
    notebook kernel must print "Wed Nov 21" too)."""
    names = {"a": _DAYS[when.weekday()][:3], "A": _DAYS[when.weekday()],
             "b": _MONTHS[when.month - 1][:3], "h": _MONTHS[when.month - 1][:3],
             "B": _MONTHS[when.month - 1], "e": f"{when.day:2d}",
             "s": str(int(when.timestamp())), "N": "000000000", "Z": "UTC",
             "p": "AM" if when.hour < 12 else "PM"}

    def sub(m: re.Match[str]) -> str:
        return "%%" if m.group(1) == "%" else names[m.group(1)].replace("%", "%%")
    return when.strftime(re.sub(r"%([aAbhBepsNZ%])", sub, fmt))
