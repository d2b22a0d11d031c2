"""The one error tree of fxkit: every error it raises is an ``FxkitError``.

::

    FxkitError
     +-- ConnectionFailed          cannot reach or keep a host (DNS, refused, dropped)
     |    +-- AuthenticationFailed  the host refused our keys / agent
     |    +-- HostKeyRejected       unknown or changed host key (message has fingerprint + fix)
     |    +-- SudoPasswordRequired  ``sudo -n`` needs a password we will never send
     +-- CommandError              a command ran (or tried to) and did not do its job
     |    +-- CommandFailed         non-zero exit; carries the Result
     |    |    +-- ToolNotFound      the program is not installed, or not in the user's PATH
     |    |    +-- SudoRefused       sudoers does not let the user run that program
     |    +-- CommandTimedOut       killed after its timeout; carries the partial Result
     |    +-- NotReplayable         connection dropped under a mutating command
     +-- ParseError                tool output we do not understand
     +-- InvalidRequest            bad input (a name, a size, a target): says what and how to fix
     +-- PlanError                 a plan cannot be made or applied
     |    +-- PreconditionFailed    the facts forbid the change (not enough space, LV in use, ...)
     |    +-- ConfirmationRequired  a destructive step was not confirmed by name
     |    +-- ApplyFailed           a step failed; carries the step and what already ran
     |    +-- HostLocked            someone else holds the host's apply lock
     +-- RunbookError              a runbook could not run, or failed in a cell
     +-- LabError                  the simulated lab cannot do what was asked

Paramiko and socket errors are translated once, in ``fxkit.transports.ssh``.
Messages name the problem, the object, and the fix.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fxkit.result import Result


class FxkitError(Exception):
    """Root of every error fxkit raises."""


class ConnectionFailed(FxkitError):
    """The host cannot be reached, or the connection was lost."""


class AuthenticationFailed(ConnectionFailed):
    """The host refused every key we offered."""


class HostKeyRejected(ConnectionFailed):
    """The host's key is unknown or has changed; we refuse to talk to it."""


class SudoPasswordRequired(ConnectionFailed):
    """``sudo -n`` would need a password; fxkit never sends one."""


class CommandError(FxkitError):
    """A command did not do its job. ``result`` holds what it printed."""

    def __init__(self, result: Result, message: str | None = None) -> None:
        self.result = result
        super().__init__(message or self.describe())

    def describe(self) -> str:
        r = self.result
        tail = _tail(r.stderr) or _tail(r.stdout)
        msg = f"{r.host}: `{r.command_line}` exited with status {r.exit_status}"
        return f"{msg}\n{tail}" if tail else msg


class CommandFailed(CommandError):
    """A command exited non-zero and the caller did not expect that (``check=True``)."""


class ToolNotFound(CommandFailed):
    """The program is not installed on the host, or not in the login user's PATH (127).

    ``tool`` names the program (``sudo`` when sudo itself is missing).
    """

    def __init__(self, result: Result, message: str | None = None, tool: str = "") -> None:
        self.tool = tool
        super().__init__(result, message)


class SudoRefused(CommandFailed):
    """``sudo -n`` refused this program: the user's sudoers rule does not allow it."""


class CommandTimedOut(CommandError):
    """A command ran longer than its timeout; its channel or process was killed."""

    def describe(self) -> str:
        r = self.result
        return (f"{r.host}: `{r.command_line}` did not finish within {r.seconds:.1f}s "
                "and was killed; raise timeout= if it legitimately takes longer")


class NotReplayable(CommandError):
    """The connection dropped while a command that changes the host was running.

    fxkit does not run it again by itself: it may or may not have happened.
    """

    def describe(self) -> str:
        r = self.result
        return (f"{r.host}: the connection dropped during `{r.command_line}`, which changes "
                "the host; it may or may not have run. Re-read the facts (dry-run the plan "
                "again) before retrying")


class ParseError(FxkitError):
    """Tool output that a parser does not understand."""


class InvalidRequest(FxkitError, ValueError):
    """Bad input from a user: the message says what is wrong and how to fix it."""


class PlanError(FxkitError):
    """A plan cannot be made or applied."""


class PreconditionFailed(PlanError):
    """The facts on the host forbid the requested change."""


class ConfirmationRequired(PlanError):
    """A destructive step needs ``confirm=`` naming exactly what it destroys."""

    def __init__(self, message: str, needed: list[str]) -> None:
        self.needed = needed
        super().__init__(message)


class ApplyFailed(PlanError):
    """A step failed while applying; nothing after it ran.

    ``unknown``: the connection was lost while ``step`` ran, so whether it took effect is
    not known; ``reread`` says what fxkit read on the host afterwards.
    """

    def __init__(self, message: str, step: Any, done: list[Any], cause: BaseException, *,
                 unknown: bool = False, reread: str = "") -> None:
        self.step = step
        self.done = done
        self.cause = cause
        self.unknown = unknown
        self.reread = reread
        super().__init__(message)


class HostLocked(PlanError):
    """Another operator holds the host's apply lock."""


class RunbookError(FxkitError):
    """A runbook could not be started, or one of its cells failed."""


class LabError(FxkitError):
    """The simulated lab cannot do what was asked."""


def _tail(text: str, lines: int = 5) -> str:
    text = text.rstrip("\n")
    if not text:
        return ""
    return "\n".join("  " + line for line in text.splitlines()[-lines:])
