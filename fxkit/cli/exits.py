"""The exit status of every ``fxkit`` command, from the error that ended it or the run record.

    0    done
    1    failed (a command, a step, a check)
    2    usage (click: a wrong option or argument)
    3    refused: a parameter or request is invalid, a confirmation is missing, the host
         lock is held by another run; nothing was changed
    4    host unreachable (ConnectionFailed: DNS, refused, host key, authentication, sudo)
    130  interrupted (Ctrl-C, SIGTERM)

Ansible uses 4 for unreachable hosts too, so a scheduler can tell a network problem
from a failed change.
"""

from __future__ import annotations

from typing import Any

from fxkit import errors

OK, FAILED, USAGE, REFUSED, UNREACHABLE, INTERRUPTED = 0, 1, 2, 3, 4, 130
_REFUSED = (errors.InvalidRequest, errors.ConfirmationRequired, errors.HostLocked)


def for_exception(error: BaseException) -> int:
    """The exit status for an error that ended a command."""
    if isinstance(error, KeyboardInterrupt) or type(error).__name__ == "RunInterrupted":
        return INTERRUPTED
    if isinstance(error, errors.ApplyFailed) and isinstance(error.cause, errors.ConnectionFailed):
        return UNREACHABLE
    if isinstance(error, errors.ConnectionFailed):
        return UNREACHABLE
    if isinstance(error, _REFUSED):
        return REFUSED
    return FAILED


def for_name(ename: str | None, cause: str | None = None) -> int:
    """The exit status for an error known by its class name (from an executed notebook)."""
    if ename in ("RunInterrupted", "KeyboardInterrupt"):
        return INTERRUPTED
    cls: Any = getattr(errors, cause or "", None) if ename == "ApplyFailed" else None
    cls = cls or getattr(errors, ename or "", None)
    if isinstance(cls, type) and issubclass(cls, errors.ConnectionFailed):
        return UNREACHABLE
    if isinstance(cls, type) and issubclass(cls, _REFUSED):
        return REFUSED
    return FAILED


def for_record(rec: Any) -> int:
    """The exit status of a runbook run, from its record (``fxkit run`` exits with it)."""
    if rec.status == "succeeded":
        return OK
    if rec.status == "interrupted":
        return INTERRUPTED
    error = rec.error or {}
    return for_name(error.get("ename") or rec.outcome.get("cause"), rec.outcome.get("cause"))
