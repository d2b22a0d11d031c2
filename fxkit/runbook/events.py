"""The side channel between a runbook's kernel and ``fxkit run``: live events out, a stop in.

The runner gives the kernel two paths in its environment. The kernel appends one JSON
line per event to the first (a plan starts, a step starts or ends, the apply ends); the
runner tails it while papermill runs, so the terminal shows each step as it happens.
The second is the stop request: when that file exists, the apply stops before its next
step (``RunInterrupted``). Under plain papermill neither is set and nothing is written::

    >>> emit("step_start", n=1, total=3)         # a no-op outside `fxkit run`
    >>> stop_requested()
    False
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from fxkit.errors import RunbookError

EVENTS_ENV = "FXKIT_RUN_EVENTS"   # the kernel appends events here
STOP_ENV = "FXKIT_RUN_STOP"       # exists: stop before the next step
RUN_ENV = "FXKIT_RUN_ID"          # set: `fxkit run` keeps the record, not the kernel
RECORD_ENV = "FXKIT_RUN_RECORD"   # that record's file: the kernel notes the run's target in it


class RunInterrupted(RunbookError):
    """The operator stopped the run (Ctrl-C, SIGTERM) between two steps, or during one."""


def emit(event: str, **data: Any) -> None:
    """Append one event for the runner, if a runner is listening (never raises)."""
    path = os.environ.get(EVENTS_ENV)
    if not path:
        return
    line = json.dumps({"event": event, "time": time.time(), **data}, default=str)
    try:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")
    except OSError:
        pass  # progress is a courtesy: never fail a run because of it


def stop_requested() -> bool:
    path = os.environ.get(STOP_ENV)
    return bool(path) and os.path.exists(path)


def under_fxkit_run() -> bool:
    """True when ``fxkit run`` (``run_runbook``) started this kernel and keeps its record."""
    return bool(os.environ.get(RUN_ENV))


class Channel:
    """The runner's end: the two files in ``directory`` and the environment naming them."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self.events = self.directory / "events.jsonl"
        self.stop_file = self.directory / "stop"
        self.events.touch()
        self._offset = 0

    def env(self, run_id: str, record: str | Path = "") -> dict[str, str]:
        return {EVENTS_ENV: str(self.events), STOP_ENV: str(self.stop_file), RUN_ENV: run_id,
                **({RECORD_ENV: str(record)} if record else {})}

    def request_stop(self) -> None:
        self.stop_file.touch()

    def read_new(self) -> list[dict[str, Any]]:
        """Events appended since the last call (whole lines only)."""
        with open(self.events, "rb") as fh:
            fh.seek(self._offset)
            data = fh.read()
        end = data.rfind(b"\n") + 1
        self._offset += end
        return [json.loads(line) for line in data[:end].splitlines() if line.strip()]

    def applying(self) -> bool:
        """Whether the kernel is inside an apply right now (read afresh from the file)."""
        state = False
        for line in self.events.read_text(encoding="utf-8").splitlines():
            if '"event": "apply"' in line:
                state = True
            elif '"event": "applied"' in line:
                state = False
        return state
