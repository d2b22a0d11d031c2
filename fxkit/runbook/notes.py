"""What a run's record says about the process keeping it, and what its kernel notes in it.

``this_process`` is the pid (and start time, and boot) that makes a "running" record
checkable: if that process is gone, the run is stale. ``note_target``: the kernel of a
run started by ``fxkit run`` writes the absolute target its plan resolved into the
record file before its first step, so a run killed during its apply still says where
it was going; the runner takes it over at the end (``adopt_kernel_notes``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from fxkit.hostlock import boot_id, process_start
from fxkit.runbook.records import RunRecord


def this_process() -> dict[str, Any]:
    """The fields that say which process keeps a record (``RunRecord(**this_process())``)."""
    return {"pid": os.getpid(), "pid_start": process_start(os.getpid()), "boot_id": boot_id()}


def note_target(path: str | Path, target: dict[str, str]) -> None:
    """The kernel's note, in its run's record file, of the target its plan resolved: there
    before the first step runs, so a run killed during its apply still says it."""
    rec = RunRecord.load(path)
    rec.target = dict(target)
    rec.save()


def adopt_kernel_notes(rec: RunRecord) -> None:
    """Take what the kernel noted in the record file (``note_target``) into ``rec``."""
    if rec.target is None and rec.record_path.exists():
        try:
            rec.target = RunRecord.load(rec.record_path).target
        except (OSError, ValueError, TypeError):
            pass
