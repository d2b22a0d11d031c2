"""`fxkit run` while it runs: live step lines, -q and -v, Ctrl-C and SIGTERM, exit codes.

The lab delays a step's command (fxkit.lab.faults), so a step visibly takes seconds:
its lines must arrive while the run is still going, and a signal sent during it must
let it finish (or stop it, on the second), record the run as "interrupted", say so in
the audit log, and release the host lock.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import jsonschema
import pytest

from fxkit.audit import AuditLog
from fxkit.runbook.records import list_runs

pytestmark = pytest.mark.notebook
ROOT = Path(__file__).resolve().parent.parent
STEP2 = "Check the filesystem on lvm/backup-root"


@pytest.fixture
def lab(tmp_path, monkeypatch):
    from fxkit.lab import reset
    monkeypatch.setenv("FXKIT_LAB_DIR", str(tmp_path / "lab"))
    monkeypatch.setenv("FXKIT_AUDIT_LOG", str(tmp_path / "audit.jsonl"))
    monkeypatch.setenv("FXKIT_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.delenv("NO_COLOR", raising=False)
    reset("fx")
    return tmp_path


def delay(pattern: str, seconds: float) -> None:
    from fxkit.lab import LabStore, faults
    with LabStore("fx").transaction() as state:
        faults.delay(state, pattern, seconds=seconds)


class Run:
    """`fxkit run ...` in a subprocess; stderr lines are kept with the time they arrived."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "fxkit", "run", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: list[tuple[float, str]] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stderr:
            self.lines.append((time.monotonic(), line.rstrip("\n")))

    def wait_for(self, text: str, timeout: float = 120) -> float:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for when, line in self.lines:
                if text in line:
                    return when
            assert self.proc.poll() is None, f"ended before {text!r}: {self.err}"
            time.sleep(0.05)
        raise AssertionError(f"no {text!r} within {timeout} s: {self.err}")

    def finish(self, timeout: float = 120) -> tuple[int, str, float]:
        out = self.proc.stdout.read()
        code = self.proc.wait(timeout=timeout)
        ended = time.monotonic()
        self._reader.join(timeout=5)
        return code, out, ended

    @property
    def err(self) -> str:
        return "\n".join(line for _, line in self.lines)


def locked() -> bool:
    from fxkit.lab import LabHost
    return LabHost("lab", audit=None).run(["test", "-e", "/run/lock/fxkit.lock"],
                                          check=False).exit_status == 0


def test_apply_shows_each_step_live_with_what_it_waits_for(lab):
    delay("resize2fs*", 4)
    run = Run("lv-extend", "--apply", "-p", "size", "9G")
    started = run.wait_for("[3/3] start")
    code, out, ended = run.finish()
    assert code == 0, out + run.err
    assert ended - started > 3, "the step's start line came only at the end: not live"
    err = run.err
    assert "applying: Extend lvm/backup-root to 9.00 GiB (3 steps" in err
    assert "[1/3] start    Grow LV lvm/backup-root from 8.00 GiB to 9.00 GiB: " \
           "lvextend -l 2304 lvm/backup-root" in err
    assert "[1/3] ran " in err and "[2/3] ran " in err
    assert "for `resize2fs /dev/lvm/backup-root` to return" in err     # the long wait says why
    finished = [line for _, line in run.lines if line.startswith("[3/3] ran")]
    assert finished and float(finished[0].split()[2]) >= 3.5        # its elapsed time
    assert "succeeded: lv-extend on lab (changed)" in out


def test_quiet_shows_the_outcome_only_and_verbose_every_command(lab):
    quiet = Run("lv-extend", "--apply", "-q", "-p", "size", "9G")
    code, out, _ = quiet.finish()
    assert code == 0 and quiet.err == "" and out.startswith("succeeded: lv-extend on lab")
    assert "notebook:" not in out
    verbose = Run("lv-extend", "--apply", "-v", "-p", "size", "10G")
    code, out, _ = verbose.finish()
    assert code == 0, verbose.err
    err = verbose.err
    assert "    $ lvextend -l 2560 lvm/backup-root   (exit 0," in err
    assert "      | " in err and "cell " in err             # command output, cells


def test_run_json_matches_its_schema_and_runs_list_too(lab):
    done = subprocess.run([sys.executable, "-m", "fxkit", "run", "host-inventory", "--json"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    schema = json.loads((ROOT / "docs/schemas/run-1.json").read_text())
    jsonschema.validate(doc, schema)
    assert doc["status"] == "succeeded" and doc["exit_code"] == 0
    listing = subprocess.run([sys.executable, "-m", "fxkit", "runs", "--json"],
                             capture_output=True, text=True, timeout=60)
    jsonschema.validate(json.loads(listing.stdout),
                        json.loads((ROOT / "docs/schemas/runs-1.json").read_text()))
    shown = subprocess.run([sys.executable, "-m", "fxkit", "runs", "show", doc["id"], "--json"],
                           capture_output=True, text=True, timeout=60)
    assert json.loads(shown.stdout) == doc


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_lets_the_step_finish_then_stops_cleanly(lab, signum):
    delay("e2fsck*", 4)
    run = Run("lv-extend", "--apply", "-p", "size", "9G")
    run.wait_for("[2/3] start")
    time.sleep(0.5)
    assert locked()
    run.proc.send_signal(signum)
    code, out, _ = run.finish()
    assert code == 130, out + run.err
    assert f"{signum.name}: the step in progress finishes" in run.err
    assert "[2/3] ran " in run.err and "[3/3]" not in run.err   # step 2 finished, 3 never ran
    [rec] = list_runs(lab / "runs")
    assert rec.status == "interrupted" and rec.changed
    assert rec.outcome["steps"] == ["Grow LV lvm/backup-root from 8.00 GiB to 9.00 GiB",
                                    STEP2 + " (resize2fs requires it offline)"]
    assert rec.outcome["not_run"] == ["Grow the filesystem on lvm/backup-root to fill the LV"]
    assert "Stopped after step 2/3" in rec.outcome["reason"]
    assert not any(c.startswith("resize2fs") for c in rec.commands)
    assert not locked()                                            # the lock was released
    seal = [e for e in AuditLog().lines() if e.get("run_id") == rec.id][-1]
    assert seal["status"] == "interrupted" and seal["exit_status"] == 130
    assert "Stopped after step 2/3" in seal["stdout_tail"]
    assert "interrupted: lv-extend on lab" in out


def test_a_second_ctrl_c_stops_the_step_in_progress(lab):
    delay("e2fsck*", 60)
    run = Run("lv-extend", "--apply", "-p", "size", "9G")
    run.wait_for("[2/3] start")
    time.sleep(0.5)
    run.proc.send_signal(signal.SIGINT)
    run.wait_for("Press Ctrl-C again")
    run.proc.send_signal(signal.SIGINT)
    code, out, _ = run.finish(timeout=30)
    assert code == 130, out + run.err
    assert "[2/3] STOPPED" in run.err
    [rec] = list_runs(lab / "runs")
    assert rec.status == "interrupted"
    assert "Step 2/3 was stopped while running" in rec.outcome["reason"]
    assert not locked()


def test_ctrl_c_before_the_apply_interrupts_at_once(lab):
    delay("lvs*", 30)     # reading the facts hangs
    run = Run("lv-extend", "--apply", "-p", "size", "9G")
    deadline = time.monotonic() + 60
    while not any(e.get("argv", [""])[0] == "pvs" for e in AuditLog().lines()):
        assert time.monotonic() < deadline and run.proc.poll() is None, run.err
        time.sleep(0.1)
    time.sleep(1)
    run.proc.send_signal(signal.SIGINT)
    code, out, _ = run.finish(timeout=30)
    assert code == 130, out + run.err
    [rec] = list_runs(lab / "runs")
    assert rec.status == "interrupted" and not rec.changed
    assert not any(c.startswith("lvextend") for c in rec.commands)


def test_exit_codes_of_fxkit_run(lab):
    def code(*args: str) -> int:
        return subprocess.run([sys.executable, "-m", "fxkit", "run", *args, "-q"],
                              capture_output=True, text=True, timeout=300).returncode
    assert code("host-inventory", "--host", "ssh://127.0.0.1:1") == 4      # unreachable
    assert code("lv-extend", "-p", "size", "lots") == 3                    # invalid parameter
    from fxkit.hostlock import HostLock
    from fxkit.lab import LabHost
    LabHost("lab").run(["lvcreate", "--yes", "-n", "scratch", "-L", "256M", "lvm"])
    assert code("lv-remove", "-p", "lv", "scratch", "--apply") == 3        # no --confirm
    assert code("lv-extend", "--no-such-option") == 2                       # usage
    HostLock(LabHost("lab"), runbook="someone-else").acquire()
    assert code("lv-extend", "-p", "size", "9G", "--apply") == 3           # lock held
    assert code("lv-extend", "-p", "size", "900G") == 1        # failed: not enough space
    assert os.environ.get("FXKIT_RUNS_DIR") == str(lab / "runs")
