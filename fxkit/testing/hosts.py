"""Hosts for unit tests: answers you script, no machine and no lab behind them.

``ScriptedHost`` answers the commands a test expects and fails loudly on any other one
(as invoke's ``MockContext`` and ``fabric.testing`` do); ``FunctionHost`` answers every
command with a function of yours (as httpx's ``MockTransport`` does)::

    from fxkit.host import Exec
    from fxkit.testing import FunctionHost, ScriptedHost

    host = ScriptedHost([(("xl", "shutdown", "-w", "web"), Exec(0, "", "")),
                         (("xl", "list"), Exec(0, XL_LIST_WITHOUT_WEB, ""))])
    Toolstack(host).shutdown("web")
    host.assert_done()                   # every scripted command ran, nothing else did

    host = FunctionHost(lambda call: Exec(0, call.input or "", ""))   # a `cat` host

Both see a command as ``Host._exec`` does: ``run(argv, sudo=True)`` arrives as
``("sudo", "-n", "--", *argv)``. Both keep every call in ``calls`` (argv, stdin, timeout,
read_only) and write no audit log unless given one. ``files`` is their file system:
``read_file`` of a path not in it raises ``FileNotFoundError`` (what a real host says),
and ``write_file`` stores into it; without ``files`` a write fails the test.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import NoReturn

from fxkit.audit import AuditLog
from fxkit.host import Exec, Host, normalize_argv

Argv = tuple[str, ...]


@dataclass(frozen=True)
class Call:
    """One command a test host was asked to run."""

    argv: Argv
    input: str | None = None
    timeout: float | None = None
    read_only: bool = False


Handler = Callable[[Call], Exec]


class FunctionHost(Host):
    """A Host whose commands are answered by ``handler(call) -> Exec``.

    An exception the handler raises reaches the caller of ``run`` unchanged (simulate a
    dropped connection with ``ConnectionFailed``); a handler returning anything but an
    ``Exec`` is a mistake in the test and raises ``TypeError``.
    """

    # No machine behind it: the apply lock (fxkit.hostlock) is kept in this process, so a
    # plan applied to it runs only the plan's own commands.
    lock_on_host = False

    def __init__(self, handler: Handler, *, name: str = "function-host",
                 files: Mapping[str, str] | None = None, audit: AuditLog | None = None) -> None:
        super().__init__(name, audit=audit)
        self.handler = handler
        self.files: dict[str, str] | None = None if files is None else dict(files)
        self.calls: list[Call] = []

    @property
    def commands(self) -> list[Argv]:
        """The argv of every call so far, in order."""
        return [c.argv for c in self.calls]

    def _exec(self, argv: tuple[str, ...], *, timeout: float | None, input: str | None,
              read_only: bool) -> Exec:
        call = Call(tuple(argv), input, timeout, read_only)
        self.calls.append(call)
        answer = self.handler(call)
        if not isinstance(answer, Exec):
            raise TypeError(f"{type(self).__name__} {self.name!r}: the handler answered "
                            f"{answer!r} to {list(call.argv)}; return an "
                            "Exec(exit_status, stdout, stderr)")
        return answer

    def read_file(self, path: str) -> str:
        if self.files is None or path not in self.files:
            raise FileNotFoundError(path)
        return self.files[path]

    def write_file(self, path: str, content: str, mode: int | None = None) -> None:
        if self.files is None:
            raise AssertionError(f"{type(self).__name__} {self.name!r}: unexpected "
                                 f"write_file({path!r}); give the host files={{...}} "
                                 "to accept writes")
        self.files[path] = content


def _checked(answer: object, argv: Argv) -> Exec:
    if not isinstance(answer, Exec):
        raise TypeError(f"ScriptedHost: the answer to {list(argv)} is {answer!r}, "
                        "not an Exec(exit_status, stdout, stderr)")
    return answer


class ScriptedHost(FunctionHost):
    """A Host that runs only the commands of its script; any other one fails the test.

    The script is either

    * a sequence of ``(argv, Exec)`` pairs: the commands must come in that order, each
      once (``assert_done`` then checks that none is left), or
    * a mapping ``{argv: answer}``: any order, where ``answer`` is an ``Exec`` given
      every time, or a list of ``Exec`` given one per call (a call after the last one
      fails). ``assert_done`` checks that every command ran, and every list was used up.

    An unexpected command raises ``AssertionError`` naming it and what the script
    expected. It is also kept in ``unexpected``, so that ``assert_done`` fails even if
    the code under test swallowed the error.
    """

    def __init__(self, script: Mapping[Sequence[str], Exec | Sequence[Exec]]
                 | Iterable[tuple[Sequence[str], Exec]], *, name: str = "scripted",
                 files: Mapping[str, str] | None = None, audit: AuditLog | None = None) -> None:
        super().__init__(self._answer, name=name, files=files, audit=audit)
        self.ordered = not isinstance(script, Mapping)
        self.unexpected: list[str] = []
        self._pending: deque[tuple[Argv, Exec]] = deque()
        self._answers: dict[Argv, Exec | deque[Exec]] = {}
        self._given: dict[Argv, int] = {}          # how many answers a list scripted
        self._count = 0
        if isinstance(script, Mapping):
            for argv, answer in script.items():
                key = normalize_argv(argv)
                if isinstance(answer, Exec):
                    self._answers[key] = answer
                elif isinstance(answer, Sequence) and not isinstance(answer, str):
                    self._answers[key] = deque(_checked(a, key) for a in answer)
                    self._given[key] = len(answer)
                else:
                    _checked(answer, key)
        else:
            for argv, answer in script:
                key = normalize_argv(argv)
                self._pending.append((key, _checked(answer, key)))
            self._count = len(self._pending)

    def _answer(self, call: Call) -> Exec:
        argv = call.argv
        if self.ordered:
            if self._pending and self._pending[0][0] == argv:
                return self._pending.popleft()[1]
            done = self._count - len(self._pending)
            expected = (f"expected {list(self._pending[0][0])} (command {done + 1} of "
                        f"{self._count})" if self._pending else
                        f"the script's {self._count} commands have all run")
            self._fail(f"unexpected command {list(argv)}; {expected}")
        answer = self._answers.get(argv)
        if isinstance(answer, Exec):
            return answer
        if answer:
            return answer.popleft()
        if answer is not None:
            runs = sum(1 for c in self.calls if c.argv == argv)
            self._fail(f"{list(argv)} ran {runs} times; the script answers it only "
                       f"{self._given[argv]} times")
        scripted = "; ".join(str(list(a)) for a in self._answers) or "nothing"
        self._fail(f"unexpected command {list(argv)}; the script has: {scripted}")

    def _fail(self, message: str) -> NoReturn:
        self.unexpected.append(message)
        raise AssertionError(f"ScriptedHost {self.name!r}: {message}")

    def assert_done(self) -> None:
        """Fail unless every scripted command ran as scripted and nothing else ran."""
        problems = list(self.unexpected)
        if self.ordered and self._pending:
            problems.append("never ran: " + "; ".join(str(list(a)) for a, _ in self._pending))
        if not self.ordered:
            ran = set(self.commands)
            never = [a for a in self._answers if a not in ran]
            if never:
                problems.append("never ran: " + "; ".join(str(list(a)) for a in never))
            left = [f"{list(a)} ({len(q)} left)" for a, q in self._answers.items()
                    if isinstance(q, deque) and q and a in ran]
            if left:
                problems.append("answers not used up: " + "; ".join(left))
        if problems:
            raise AssertionError(f"ScriptedHost {self.name!r}: " + "\n".join(problems))
