"""Every runbook executed through papermill against the lab (served over SSH), checked with OpenSSH."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from fxkit.runbook import run_runbook

pytestmark = pytest.mark.notebook
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def lab_root(tmp_path_factory):
    """A fresh lab directory with the lab's SSH server running on it, for this module."""
    if shutil.which("ssh") is None:
        pytest.skip("OpenSSH client (ssh) is not installed: apt-get install openssh-client")
    from fxkit.lab import daemon, reset
    root = tmp_path_factory.mktemp("lab")
    old = os.environ.get("FXKIT_LAB_DIR")
    os.environ["FXKIT_LAB_DIR"] = str(root)  # papermill's kernels inherit it
    reset("fx", root)
    daemon.start(["fx"], root=root)
    try:
        yield root
    finally:
        daemon.stop(root)
        if old is None:
            os.environ.pop("FXKIT_LAB_DIR", None)
        else:
            os.environ["FXKIT_LAB_DIR"] = old


@pytest.fixture
def lab(lab_root):
    from fxkit.lab import reset
    reset("fx", lab_root)
    return lab_root


def ssh(root: Path, *argv: str) -> str:
    """Run a command on the lab with the plain OpenSSH client, as an operator would."""
    done = subprocess.run(["ssh", "-F", str(root / "ssh_config"), "fx", *argv],
                          capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 0, f"ssh fx {' '.join(argv)}: {done.stderr}"
    return done.stdout


def xl_list(root: Path) -> dict[str, str]:
    lines = ssh(root, "xl", "list").splitlines()[1:]
    return {ln.split()[0]: ln.split()[4] for ln in lines if ln.strip()}


def run(tmp_path, name, apply=False, confirm=None, **params):
    return run_runbook(name, params, apply=apply, confirm=confirm, runs_dir=tmp_path / "runs")


def outputs(rec) -> str:
    """Every text output of the executed notebook, joined (what a reviewer reads)."""
    nb = nbformat.read(rec.notebook, as_version=4)
    parts = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            parts.append(o.get("text", "") if o.output_type == "stream"
                         else o.get("data", {}).get("text/plain", "") or o.get("evalue", ""))
    return "\n".join(parts)


# -- read-only ------------------------------------------------------------------------

def test_host_inventory_reads_everything_and_changes_nothing(lab, tmp_path):
    before = ssh(lab, "cat", "/etc/xen/titanic.cfg")
    rec = run(tmp_path, "host-inventory")
    assert rec.status == "succeeded" and not rec.changed, rec.error
    text = outputs(rec)
    for word in ("Domain-0", "titanic", "xenbr0", "vif1.0", "Read-only inventory"):
        assert word in text
    assert rec.outcome["domains"] >= 2 and rec.outcome["bridges"] >= 3
    assert all(not c.startswith(("lvcreate", "xl create", "rm")) for c in rec.commands)
    assert ssh(lab, "cat", "/etc/xen/titanic.cfg") == before


# -- domU lifecycle ---------------------------------------------------------------------

def test_domu_lifecycle_dry_run_then_apply_then_nothing_to_do(lab, tmp_path):
    assert "ns" in xl_list(lab)
    dry = run(tmp_path, "domu-lifecycle", domu="ns", action="shutdown")
    assert dry.status == "succeeded" and not dry.changed and dry.outcome["status"] == "dry-run"
    assert "ns" in xl_list(lab)  # dry-run changed nothing
    assert not any(c.startswith("xl shutdown") for c in dry.commands)
    done = run(tmp_path, "domu-lifecycle", apply=True, domu="ns", action="shutdown")
    assert done.status == "succeeded" and done.changed, done.error
    assert "xl shutdown -w ns" in done.commands
    assert "ns" not in xl_list(lab)  # seen by a plain OpenSSH client
    assert "[####################] 1/1" in outputs(done)  # the progress bar
    again = run(tmp_path, "domu-lifecycle", apply=True, domu="ns", action="shutdown")
    assert again.status == "succeeded" and not again.changed
    assert "ns is not running" in again.outcome["reason"]
    started = run(tmp_path, "domu-lifecycle", apply=True, domu="ns", action="start")
    assert started.changed and "ns" in xl_list(lab)
    record = json.loads(Path(started.record_path).read_text())
    assert record["runbook_revision"] and record["host"] == "lab"
    assert any(line["argv"][:2] == ["xl", "create"] for line in record["audit_lines"])


# -- destructive runbooks need the confirmation -------------------------------------------

def test_domu_remove_needs_confirm_and_then_removes(lab, tmp_path):
    assert "/etc/xen/backup.cfg" in ssh(lab, "ls", "/etc/xen/backup.cfg")
    refused = run(tmp_path, "domu-remove", apply=True, domu="backup")
    assert refused.status == "failed" and refused.error["ename"] == "ConfirmationRequired"
    assert "confirm='backup'" in refused.error["evalue"]
    assert ssh(lab, "ls", "/etc/xen").count("backup.cfg") == 1  # nothing was removed
    wrong = run(tmp_path, "domu-remove", apply=True, confirm="titanic", domu="backup")
    assert wrong.status == "failed" and wrong.error["ename"] == "ConfirmationRequired"
    done = run(tmp_path, "domu-remove", apply=True, confirm="backup", domu="backup")
    assert done.status == "succeeded" and done.changed, done.error
    assert "backup.cfg" not in ssh(lab, "ls", "/etc/xen")
    again = run(tmp_path, "domu-remove", apply=True, confirm="backup", domu="backup")
    assert again.status == "succeeded" and not again.changed


# -- safety ---------------------------------------------------------------------------------

def test_two_concurrent_applies_one_fails_naming_the_lock_holder(lab, tmp_path):
    from fxkit.lab import LabStore, faults
    with LabStore("fx", lab).transaction() as state:  # hold the first apply inside its step
        faults.delay(state, "xl shutdown*", seconds=15)
    first = subprocess.Popen(
        [sys.executable, "-m", "fxkit", "run", "domu-lifecycle", "-p", "domu", "ns",
         "-p", "action", "shutdown", "--apply", "--runs-dir", str(tmp_path / "a")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    deadline = time.monotonic() + 90
    while not _locked(lab):
        assert time.monotonic() < deadline and first.poll() is None, first.communicate()
        time.sleep(0.2)
    second = run(tmp_path, "domu-lifecycle", apply=True, domu="web", action="shutdown")
    out, err = first.communicate(timeout=120)
    assert first.returncode == 0, out + err
    assert second.status == "failed" and second.error["ename"] == "HostLocked"
    assert "runbook domu-lifecycle" in second.error["evalue"] and "since" in second.error["evalue"]
    assert "web" in xl_list(lab) and "ns" not in xl_list(lab)
    assert "fxkit.lock" not in ssh(lab, "ls", "/run/lock")  # released


def _locked(root: Path) -> bool:
    from fxkit.hostlock import OWNER
    from fxkit.lab import LabHost
    return LabHost("lab", root=str(root)).run(["test", "-f", OWNER], check=False).ok


def test_bad_parameters_fail_before_any_command(lab, tmp_path):
    from fxkit.audit import AuditLog
    from fxkit.errors import InvalidRequest, RunbookError
    before = len(AuditLog().lines())
    for name, params in [("domu-remove", {"domu": "x; rm -rf /"}),
                         ("domu-remove", {"domu": "../../etc"}),
                         ("domu-lifecycle", {"action": "explode"}),
                         ("domu-create", {"root_size": "lots"}),
                         ("domu-create", {"domu": "mail", "password": "x"})]:
        with pytest.raises(InvalidRequest):
            run(tmp_path, name, **params)
    with pytest.raises(RunbookError, match="no runbook"):
        run(tmp_path, "format-the-disks")
    assert len(AuditLog().lines()) == before
    assert not (tmp_path / "runs").exists()
