"""Runs that lost their connection or their process, resumed toward the same target.

Issue 16, findings 1, 5 and 8, end to end with `fxkit run` on the lab: a connection
dropped right after `lvextend` ran is recorded as "outcome unknown" (changed, the audit
log has the lvextend), and `fxkit runs resume` does not grow the LV twice; a run killed
with SIGKILL during a delayed step leaves a "running" record and the lock, both seen as
stale, and `fxkit runs resume --apply` takes them over and finishes the job.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fxkit.audit import AuditLog
from fxkit.hostlock import current_owner
from fxkit.lab import LabHost, LabStore, faults, reset
from fxkit.runbook.records import find_run, list_runs
from fxkit.xen import read_lvm_facts

pytestmark = pytest.mark.notebook
ROOT = Path(__file__).resolve().parent.parent
EXTEND = ("run", "lv-extend", "-p", "lv", "web-root", "-p", "size", "+1G", "--apply")


@pytest.fixture
def lab(tmp_path, monkeypatch):
    monkeypatch.setenv("FXKIT_LAB_DIR", str(tmp_path / "lab"))
    monkeypatch.setenv("FXKIT_AUDIT_LOG", str(tmp_path / "audit.jsonl"))
    monkeypatch.setenv("FXKIT_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.delenv("FXKIT_LOCK_WAIT", raising=False)
    reset("fx")
    return tmp_path


def fxkit(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "fxkit", *args], capture_output=True,
                          text=True, timeout=300, cwd=ROOT)


def web_root_gib() -> int:
    return read_lvm_facts(LabHost("lab", audit=None)).lvm.lv("lvm/web-root").size_bytes // 2**30


def commands_before_lvextend(lab: Path) -> int:
    """How many lab commands an lv-extend apply runs before its lvextend (on a fresh lab)."""
    assert fxkit(*EXTEND, "-q").returncode == 0
    ran = [e for e in AuditLog(lab / "audit.jsonl").lines() if "run_id" not in e]
    n = next(i for i, e in enumerate(ran) if e["argv"][0] == "lvextend")
    reset("fx")
    for p in (lab / "audit.jsonl", lab / "audit.jsonl.anchor"):
        p.unlink()
    for p in sorted((lab / "runs").glob("*/*")):
        p.unlink()
    return n


def test_a_drop_right_after_lvextend_is_recorded_as_outcome_unknown_and_resumed(lab):
    n = commands_before_lvextend(lab)
    drop = fxkit("lab", "fault", "drop", "--after", str(n), "--run")
    assert drop.returncode == 0, drop.stderr
    failed = fxkit(*EXTEND)
    assert failed.returncode == 4, failed.stdout + failed.stderr     # connection lost
    assert web_root_gib() == 11                                       # the lvextend did run
    rec = list_runs(lab / "runs")[-1]
    out = failed.stdout
    assert "failed: lv-extend on lab (changed)" in out and "nothing changed" not in out
    assert f"fxkit runs resume {rec.id}" in out and "took effect is unknown" in out
    assert rec.status == "failed" and rec.changed
    assert rec.outcome["changes"] == ["lvextend -l 2816 lvm/web-root"]
    assert rec.outcome["unknown"]["command"] == "lvextend -l 2816 lvm/web-root"
    assert "the change is in place" in rec.outcome["unknown"]["reread"]
    assert rec.target == {"size": "-l 2816"}
    logged = [e for e in AuditLog(lab / "audit.jsonl").entries() if e["argv"][0] == "lvextend"]
    assert [e["phase"] for e in logged] == ["started", "ended"]
    assert logged[1]["outcome"] == "connection lost: outcome unknown"
    assert (lab / "audit.jsonl").read_text().count("lvextend") >= 2   # grep -c lvextend
    assert current_owner(LabHost("lab", audit=None)) is None
    shown = fxkit("runs", "show", rec.id)
    assert "target   size='-l 2816'" in shown.stdout and "outcome unknown" in shown.stdout
    dry = fxkit("runs", "resume", rec.id)
    assert dry.returncode == 0 and "resuming keeps that target" in dry.stdout, dry.stderr
    done = fxkit("runs", "resume", rec.id, "--apply")
    assert done.returncode == 0, done.stdout + done.stderr
    assert web_root_gib() == 11                                       # never twice
    resumed = list_runs(lab / "runs")[-1]
    assert resumed.resumes == rec.id and resumed.parameters["size"] == "-l 2816"
    for r in (rec, resumed):
        assert fxkit("runs", "verify", r.id).returncode == 0
    assert fxkit("audit", "verify").returncode == 0


def _wait(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_kill_9_during_a_step_leaves_a_stale_run_and_lock_that_resume_takes_over(lab):
    with LabStore("fx").transaction() as state:
        faults.delay(state, "lvextend*", seconds=120)
    proc = subprocess.Popen([sys.executable, "-m", "fxkit", *EXTEND], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait(lambda: not LabStore("fx").load().faults, 120, "the delayed lvextend")
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    fx = LabHost("lab", audit=None)
    holder = current_owner(fx)
    assert holder is not None
    _wait(lambda: holder.liveness() == "dead", 30, "the orphaned kernel to exit")
    rec = list_runs(lab / "runs")[-1]
    assert rec.status == "running" and rec.liveness() == "dead" and rec.pid == proc.pid
    assert rec.target == {"size": "-l 2816"} and holder.run_id == rec.id
    listed = fxkit("runs")
    assert f"{rec.id}" in listed.stdout and "stale" in listed.stdout
    blocked = fxkit(*EXTEND)
    assert blocked.returncode == 3 and "the lock is stale" in blocked.stdout
    assert f"fxkit runs resume {rec.id}" in blocked.stdout
    unlock = fxkit("runs", "unlock", "lab")                # says so, removes nothing
    assert "is gone: the lock is stale" in unlock.stdout and current_owner(fx) is not None
    done = fxkit("runs", "resume", rec.id, "--apply")
    assert done.returncode == 0, done.stdout + done.stderr
    assert web_root_gib() == 11 and current_owner(fx) is None
    old = find_run(lab / "runs", rec.id)
    assert old.status == "interrupted" and "died" in old.note
    assert old.outcome["unknown"]["command"] == "lvextend -l 2816 lvm/web-root"
    assert fxkit("runs", "verify", old.id).returncode == 0
    again = fxkit("runs", "resume", rec.id, "--apply")
    assert again.returncode == 0 and web_root_gib() == 11
    data = json.loads(list_runs(lab / "runs")[-1].record_path.read_text())
    assert data["resumes"] == rec.id and data["audit_head"]["lines"] > 0
