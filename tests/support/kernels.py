"""Runbook runs in the tests take warm kernels, as `fxkit run` does (fxkit.runbook.pool).

A kernel takes a second or two to start and import fxkit, more than most runbooks' cells
on the simulated lab, and the tests run runbooks a few hundred times. So ``run_warm``
runs a runbook on a spare kernel that the previous run left ready (the same environment,
so the same test), and leaves one for the next. The spares live in the session's own pool
directory (``start_pool``), and ``stop_pool`` removes it: every spare left exits.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fxkit.runbook.pool import POOL_ENV, WARM_ENV, prestarted
from fxkit.runbook.runner import RunRecord, run_runbook
from fxkit.runbook.warm import pid_alive


def start_pool() -> Path:
    """A private pool directory for this session's spares (``$FXKIT_KERNEL_POOL``)."""
    pool = Path(tempfile.mkdtemp(prefix="fxkit-test-kernels-"))
    os.environ[POOL_ENV] = str(pool)
    return pool


def stop_pool(pool: Path, wait: float = 10.0) -> int:
    """Remove ``pool``: every spare left in it exits within a second (a spare whose
    directory is gone can never be claimed), and once they have, what a spare still
    starting wrote meanwhile is removed too. Returns how many had to be killed."""
    pids = []
    for about in pool.glob("*-*/spare.json"):
        with contextlib.suppress(OSError, ValueError, KeyError):
            pids.append(int(json.loads(about.read_text())["pid"]))
    shutil.rmtree(pool, ignore_errors=True)
    deadline = time.monotonic() + wait
    while pids and time.monotonic() < deadline:
        pids = [pid for pid in pids if pid_alive(pid)]
        time.sleep(0.1)
    for pid in pids:                      # still there: not one of our spares any more?
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    shutil.rmtree(pool, ignore_errors=True)
    return len(pids)


def run_warm(name: str, parameters: Mapping[str, Any] | None = None, **options: Any
             ) -> RunRecord:
    """``run_runbook(name, parameters, **options)`` on a warm kernel."""
    before = os.environ.get(WARM_ENV)
    os.environ[WARM_ENV] = "1"      # for this run only: the spare's environment says so too
    try:
        with prestarted() as kernel:
            return run_runbook(name, parameters, kernel=kernel, **options)
    finally:
        if before is None:
            os.environ.pop(WARM_ENV, None)
        else:
            os.environ[WARM_ENV] = before


def canonical(path: str | Path) -> dict[str, Any]:
    """An executed notebook without what differs between any two runs (times, paths)."""
    nb: dict[str, Any] = json.loads(Path(path).read_text())
    for cell in nb["cells"]:
        cell["metadata"].pop("papermill", None)
        cell["metadata"].pop("execution", None)
        if "injected-parameters" in cell["metadata"].get("tags", []):
            cell["id"] = "injected-parameters"   # papermill gives it a random id
    for key in ("start_time", "end_time", "duration", "input_path", "output_path"):
        nb["metadata"]["papermill"].pop(key, None)
    return nb
