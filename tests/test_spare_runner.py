"""Spare runners (fxkit.cli.spare, fxkit.cli.spare_runner): the next `fxkit run` is run
by a process that did its imports beforehand, and it is still the run the command would
have made: the same output, exit status, directory, notebook; Ctrl-C reaches it; a killed
command stops it cleanly."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support.kernels import canonical

from fxkit.cli import spare
from fxkit.runbook import pool as spares
from fxkit.runbook.records import list_runs
from fxkit.runbook.warm import pid_alive

pytestmark = pytest.mark.notebook
LV_EXTEND = ["run", "lv-extend", "-p", "vg", "lvm", "-p", "lv", "secours-root", "-p", "size", "+1G"]


@pytest.fixture
def lab(tmp_path, monkeypatch):
    """The simulated fx, and a private pool with spares on, for this test only."""
    from fxkit.lab import reset
    monkeypatch.setenv("FXKIT_LAB_DIR", str(tmp_path / "lab"))
    monkeypatch.setenv("FXKIT_AUDIT_LOG", str(tmp_path / "audit.jsonl"))
    monkeypatch.setenv("FXKIT_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.setenv(spares.POOL_ENV, str(tmp_path / "pool"))
    monkeypatch.setenv(spares.WARM_ENV, "1")
    reset("fx")
    yield tmp_path
    pids = []
    for about in [*(tmp_path / "pool").glob("*/spare.json"),
                  *(tmp_path / "pool" / spare.RUNNERS).glob("*/pid")]:
        (about.parent / "expire").touch()
        text = about.read_text()
        pids.append(int(json.loads(text)["pid"] if text.startswith("{") else text))
    for pid in pids:
        assert _gone(pid), f"spare {pid} did not exit when told to"


def _gone(pid: int, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while pid_alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def fxkit(*args: str, cwd: Path | None = None, **kw) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "fxkit", *args], cwd=cwd, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def ready_runner(lab: Path, timeout: float = 60.0) -> int:
    """The pid of the spare runner the last run left, once it is ready."""
    deadline = time.monotonic() + timeout
    where = lab / "pool" / spare.RUNNERS
    while time.monotonic() < deadline:
        for ready in where.glob("*/ready"):
            return int((ready.parent / "pid").read_text())
        time.sleep(0.05)
    raise AssertionError(f"no spare runner became ready: {sorted(map(str, where.glob('*/*')))}")


def warm_up(lab: Path) -> int:
    out, err = fxkit(*LV_EXTEND).communicate(timeout=300)
    assert "succeeded: lv-extend on lab" in out, err
    return ready_runner(lab)


def test_the_next_run_is_run_by_the_spare_runner_and_is_the_same_run(lab, monkeypatch):
    runner = warm_up(lab)
    [first] = list_runs(lab / "runs")
    elsewhere = lab / "elsewhere"
    elsewhere.mkdir()
    # a relative runs directory: the runner works in the command's directory
    run = fxkit(*LV_EXTEND, "--runs-dir", "here", cwd=elsewhere)
    out, err = run.communicate(timeout=300)
    assert run.returncode == 0, err
    assert out.startswith("succeeded: lv-extend on lab (nothing changed)")
    assert "notebook: here/" in out and "fxkit runs show" in out
    [second] = list_runs(elsewhere / "here")
    assert second.pid == runner != run.pid        # kept by the runner, not the command
    assert _gone(runner)                           # which served this run only
    assert canonical(elsewhere / second.notebook) == canonical(first.notebook)

    # another environment: not handed over (it runs itself, and leaves its own spare)
    runner = ready_runner(lab)                     # the one that run left
    run = fxkit(*LV_EXTEND, env={**os.environ, "FXKIT_TEST_OTHER": "1"})
    out, err = run.communicate(timeout=300)
    assert run.returncode == 0, err
    assert max(list_runs(lab / "runs"), key=lambda r: r.start).pid == run.pid
    assert pid_alive(runner)                       # the spare still waits
    # a test's CliRunner, a fleet worker: streams that are not descriptors 0, 1, 2
    with monkeypatch.context() as m:
        m.setattr(sys, "stdout", io.StringIO())
        assert not spare.from_command_line()
        assert spare.hand_over(["fxkit", *LV_EXTEND], "fxkit") is None
    # a runner claimed by a command of another environment declines the run
    other = _other_runner(lab, besides=runner)
    (other / "ready").rename(other / "claimed")
    other_pid = int((other / "pid").read_text())
    assert spare._talk(other, ["fxkit", *LV_EXTEND], "fxkit") is None
    assert _gone(other_pid) and len(list_runs(lab / "runs")) == 2    # nothing was run

    # errors and exit status are the command's
    run = fxkit(*LV_EXTEND[:-1], "lots")
    out, err = run.communicate(timeout=300)
    assert run.returncode == 3 and out == ""
    assert "error: lv-extend: parameter size='lots' is not an LVM size" in err
    assert _gone(runner)
    runner = ready_runner(lab)
    usage = fxkit("run", "--no-such-option")
    out, err = usage.communicate(timeout=60)
    assert usage.returncode == 2 and "Usage: python -m fxkit run" in err
    assert _gone(runner)
    assert not list((lab / "pool" / spare.RUNNERS).glob("*/ready"))   # it leaves none


def _other_runner(lab: Path, besides: int, timeout: float = 60.0) -> Path:
    """The directory of a ready spare runner that is not ``besides``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for ready in (lab / "pool" / spare.RUNNERS).glob("*/ready"):
            if int((ready.parent / "pid").read_text()) != besides:
                return ready.parent
        time.sleep(0.05)
    raise AssertionError("no other spare runner became ready")


def test_ctrl_c_reaches_the_run_and_a_killed_command_stops_it(lab):
    runner = warm_up(lab)
    delay("e2fsck*", 4)
    run = fxkit("run", "lv-extend", "--apply", "-p", "size", "9G")
    _wait_for_step(lab, 2)
    assert locked()
    run.send_signal(signal.SIGINT)
    out, err = run.communicate(timeout=120)
    assert run.returncode == 130, out + err
    assert "SIGINT: the step in progress finishes" in err
    rec = max(list_runs(lab / "runs"), key=lambda r: r.start)
    assert rec.pid == runner and rec.status == "interrupted"
    assert "Stopped after step 2/3" in rec.outcome["reason"]
    assert not locked()

    # the command killed: the runner stops the run as SIGTERM would
    runner = ready_runner(lab)
    delay("e2fsck*", 4)
    run = fxkit("run", "lv-extend", "--apply", "-p", "size", "10G")
    _wait_for_step(lab, 2, after=rec.end)
    run.kill()
    run.communicate(timeout=30)
    assert _gone(runner, timeout=60)
    rec = max(list_runs(lab / "runs"), key=lambda r: r.start)
    assert rec.pid == runner and rec.status == "interrupted"
    assert "Stopped after step 2/3" in rec.outcome["reason"]
    assert not locked()

    # the spare it left exits when told to, and removes its directory
    runner = ready_runner(lab)
    [ready] = (lab / "pool" / spare.RUNNERS).glob("*/ready")
    (ready.parent / "expire").touch()
    assert _gone(runner, timeout=5) and not ready.parent.exists()


def delay(pattern: str, seconds: float) -> None:
    from fxkit.lab import LabStore, faults
    with LabStore("fx").transaction() as state:
        faults.delay(state, pattern, seconds=seconds)


def locked() -> bool:
    from fxkit.lab import LabHost
    return LabHost("lab", audit=None).run(["test", "-e", "/run/lock/fxkit.lock"],
                                          check=False).exit_status == 0


def _wait_for_step(lab: Path, n: int, timeout: float = 120, after: str = "") -> None:
    """Until the run's n-th step has started (its command is in the audit log, logged
    after ``after``)."""
    from fxkit.audit import AuditLog
    wanted = {1: "lvextend", 2: "e2fsck"}[n]
    deadline = time.monotonic() + timeout
    while not any(e.get("argv", [""])[0] == wanted and e.get("time", "") > after
                  for e in AuditLog().lines()):
        assert time.monotonic() < deadline, f"step {n} never started"
        time.sleep(0.1)
    time.sleep(0.5)

