"""Injected faults for tests: dropped connections, failing and slow commands.

Faults live in ``state.faults`` (so every client of the lab sees them, in-process
or over SSH) and ``reset`` clears them::

    >>> from fxkit.lab import faults
    >>> with store.transaction() as state:                      # doctest: +SKIP
    ...     faults.fail_next(state, "lvs", status=5, stderr="  boom\\n")
    ...     faults.drop_after(state, 2)
    ...     faults.delay(state, "xl create*", seconds=1.5)

A pattern is a shell glob matched against the command line (``shlex.join`` of
argv, ``sudo`` stripped); a pattern without a blank also matches that command
with any arguments (``"lvs"`` matches ``lvs --reportformat json``, not ``lvscan``).
"""

from __future__ import annotations

import fnmatch
import shlex
from dataclasses import dataclass
from typing import Any

from fxkit.errors import InvalidRequest
from fxkit.lab.shell.base import strip_sudo
from fxkit.lab.state import LabState

KINDS = ("drop", "fail", "delay")


@dataclass
class FaultAction:
    """What the faults decided for one command, before it runs."""

    drop: bool = False           # close the connection instead of answering
    run_before_drop: bool = False  # ...but run the command first (outcome unknown to client)
    fail: tuple[int, str, str] | None = None  # answer this instead of running the command
    delay: float = 0.0           # wall-clock seconds to wait before answering


def drop_after(state: LabState, commands: int = 0, *, run: bool = False) -> dict[str, Any]:
    """Let ``commands`` more commands through, then drop the connection at the next one.

    With ``run=True`` that command still runs before the drop (the client cannot tell).
    """
    if commands < 0:
        raise InvalidRequest(f"drop_after: commands must be >= 0, not {commands}")
    return _add(state, {"kind": "drop", "after": int(commands), "seen": 0, "run": bool(run)})


def fail_next(state: LabState, pattern: str, *, status: int = 1, stderr: str = "",
              stdout: str = "", times: int = 1) -> dict[str, Any]:
    """Make the next ``times`` commands matching ``pattern`` fail without running."""
    if not 1 <= status <= 255:
        raise InvalidRequest(f"fail_next: status must be 1..255, not {status}")
    return _add(state, {"kind": "fail", "match": _pattern(pattern), "status": int(status),
                        "stdout": stdout, "stderr": stderr, "times": int(times)})


def delay(state: LabState, pattern: str, seconds: float, *, times: int = 1) -> dict[str, Any]:
    """Make the next ``times`` commands matching ``pattern`` take ``seconds`` longer."""
    if not 0 <= seconds <= 3600:
        raise InvalidRequest(f"delay: seconds must be between 0 and 3600, not {seconds}")
    return _add(state, {"kind": "delay", "match": _pattern(pattern), "seconds": float(seconds),
                        "times": int(times)})


def clear(state: LabState) -> int:
    """Remove every fault; return how many there were."""
    n = len(state.faults)
    state.faults.clear()
    state.touch()
    return n


def describe(fault: dict[str, Any]) -> str:
    """One line for ``fxkit lab fault list``."""
    kind = fault.get("kind")
    if kind == "drop":
        left = fault["after"] - fault.get("seen", 0)
        return (f"drop the connection after {left} more command(s)"
                + (" (running it first)" if fault.get("run") else ""))
    if kind == "fail":
        return (f"fail the next {fault['times']} command(s) matching {fault['match']!r} "
                f"with status {fault['status']}")
    if kind == "delay":
        return (f"delay the next {fault['times']} command(s) matching {fault['match']!r} "
                f"by {fault['seconds']:g}s")
    return f"unknown fault {fault!r}"


def matches(pattern: str, argv: list[str]) -> bool:
    line = shlex.join(argv)
    if fnmatch.fnmatchcase(line, pattern):
        return True
    return " " not in pattern and fnmatch.fnmatchcase(line, pattern + " *")


def take(state: LabState, argv: list[str]) -> FaultAction:
    """Decide (and consume) the faults that apply to one command about to run."""
    argv = strip_sudo(argv)
    action = FaultAction()
    if not state.faults:
        return action
    state.touch()       # counting toward a drop, or using a fault up, changes the state
    keep: list[dict[str, Any]] = []
    for fault in state.faults:
        kind = fault.get("kind")
        if kind == "drop":
            if fault.get("seen", 0) >= fault["after"] and not action.drop:
                action.drop, action.run_before_drop = True, bool(fault.get("run"))
                continue
            fault["seen"] = fault.get("seen", 0) + 1
        elif kind in ("fail", "delay") and matches(fault["match"], argv) and (
                kind == "delay" or action.fail is None):
            if kind == "fail":
                action.fail = (fault["status"], fault.get("stdout", ""), fault.get("stderr", ""))
            else:
                action.delay += fault["seconds"]
            fault["times"] -= 1
            if fault["times"] <= 0:
                continue
        keep.append(fault)
    state.faults[:] = keep
    return action


def _pattern(pattern: str) -> str:
    if not isinstance(pattern, str) or not pattern.strip():
        raise InvalidRequest("a fault needs a command pattern, e.g. 'lvs' or 'xl create *'")
    return pattern.strip()


def _add(state: LabState, fault: dict[str, Any]) -> dict[str, Any]:
    state.faults.append(fault)
    state.touch()
    return fault
