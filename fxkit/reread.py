"""After an apply that could not finish: did the step whose connection was lost take effect?

A command sent just before the connection dropped may or may not have run; ``reread_step``
asks the host again with the step's own ``needed`` check. A lock that cannot be released
after the steps ran stays on the host: ``release`` returns the error rather than hiding
what was applied, and ``lock_stays`` says so with the fix.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from fxkit.errors import CommandTimedOut, ConnectionFailed, FxkitError, NotReplayable

if TYPE_CHECKING:
    from fxkit.host import Host
    from fxkit.hostlock import HostLock

# A step's ``needed`` check: True while the step's change is not yet in place.
Needed = Callable[["Host"], bool]

# Errors after which a step's command may or may not have taken effect on the host.
UNKNOWN_OUTCOME = (ConnectionFailed, NotReplayable, CommandTimedOut)
REREAD_DONE = "re-read afterwards: the change is in place (the step would now be skipped)"
REREAD_NOT_DONE = "re-read afterwards: the change is not in place"


def why_unknown(error: BaseException) -> str:
    """How a step came to have an unknown outcome, in a few words."""
    if isinstance(error, CommandTimedOut):
        return "its command was killed at its timeout"
    return "the connection was lost"


def reread_step(host: Host, needed: Needed | None) -> str:
    """What the host says now about a step whose outcome is unknown, by its ``needed`` check."""
    if needed is None:
        return "this step has no check to re-read it: look at the host before going on"
    try:
        still = needed(host)
    except (FxkitError, OSError) as e:
        first = (str(e).splitlines() or [""])[0]
        return f"re-reading the host failed too ({first}): look at it before going on"
    return REREAD_NOT_DONE if still else REREAD_DONE


def release(lock: HostLock) -> FxkitError | None:
    """Release ``lock``; the error if that failed (the lock then stays on the host)."""
    try:
        lock.release()
    except FxkitError as e:
        return e
    return None


def lock_stays(host: Host, trouble: FxkitError) -> str:
    first = (str(trouble).splitlines() or [""])[0]
    return (f"releasing the host lock failed ({first}): the lock stays; once you have checked "
            f"the host, remove it with `fxkit runs unlock {host.name}`")
