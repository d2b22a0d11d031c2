"""Spare runners without a kernel (fxkit.cli.spare): what ``leave`` keeps and clears.
The runs through a spare runner are in tests/test_spare_runner.py."""

from __future__ import annotations

import os
import time
from types import SimpleNamespace

from fxkit.cli import spare
from fxkit.runbook import pool as spares


def test_leave_keeps_a_runner_another_command_is_starting_and_clears_dead_ones(
        tmp_path, monkeypatch):
    """Two commands ending at once: the one that finds a runner directory still without
    its pid (just made by the other) neither removes it nor starts a second one."""
    monkeypatch.setenv(spares.POOL_ENV, str(tmp_path / "pool"))
    monkeypatch.setenv(spares.WARM_ENV, "1")
    monkeypatch.setattr(spare, "from_command_line", lambda: True)
    started = []
    monkeypatch.setattr(spare.subprocess, "Popen",
                        lambda *a, **k: started.append(a) or SimpleNamespace(pid=4242))
    where = spare.runners_dir()
    mark = spares.fingerprint()
    starting = where / f"{mark}-1-aaaaaa"
    starting.mkdir()
    dead = where / "0000000000000000-2-bbbbbb"
    dead.mkdir()
    os.utime(dead, (time.time() - 60, time.time() - 60))
    spare.leave()
    assert starting.exists() and not dead.exists() and started == []
    os.utime(starting, (time.time() - 60, time.time() - 60))   # its command died
    spare.leave()
    assert not starting.exists() and len(started) == 1
    [made] = where.glob(f"{mark}-*")
    assert (made / "pid").read_text() == "4242"
