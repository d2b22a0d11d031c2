"""Every runbook run through papermill on the lab (served over SSH), checked with OpenSSH."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support.kernels import run_warm
from support.labs import notebook_text as outputs

pytestmark = pytest.mark.notebook
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def lab(sim_lab_root, monkeypatch):
    """The session's simulated fx (tests/conftest.py), reset; papermill's kernels find it
    through FXKIT_LAB_DIR."""
    from fxkit.lab import reset
    monkeypatch.setenv("FXKIT_LAB_DIR", str(sim_lab_root))
    reset("fx", sim_lab_root)
    return sim_lab_root


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
    return run_warm(name, params, apply=apply, confirm=confirm, runs_dir=tmp_path / "runs")


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
    # a dry-run changes nothing, so its "After" reuses the facts: each command ran once
    assert len(dry.commands) == len(set(dry.commands)), dry.commands
    done = run(tmp_path, "domu-lifecycle", apply=True, domu="ns", action="shutdown")
    assert done.status == "succeeded" and done.changed, done.error
    assert "xl shutdown -w ns" in done.commands
    assert "ns" not in xl_list(lab)  # seen by a plain OpenSSH client
    assert "[####################] 1/1" in outputs(done)  # the progress bar
    again = run(tmp_path, "domu-lifecycle", apply=True, domu="ns", action="shutdown")
    assert again.status == "succeeded" and not again.changed
    assert "ns is not running" in again.outcome["reason"]
    assert len(again.commands) == len(set(again.commands)), again.commands
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
    # Hold the first apply inside its step, long enough for the second run (started the
    # moment the lock appears, on a warm kernel: about 2 s, 5 s on a loaded CI) to fail.
    with LabStore("fx", lab).transaction() as state:
        faults.delay(state, "xl shutdown*", seconds=12)
    first = subprocess.Popen(
        [sys.executable, "-m", "fxkit", "run", "domu-lifecycle", "-p", "domu", "ns",
         "-p", "action", "shutdown", "--apply", "--runs-dir", str(tmp_path / "a")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    deadline = time.monotonic() + 90
    while not _locked(lab):
        assert time.monotonic() < deadline and first.poll() is None, first.communicate()
        time.sleep(0.2)
    second = run(tmp_path, "domu-lifecycle", apply=True, domu="web", action="shutdown")
    assert first.poll() is None, "the first apply ended before the second was refused"
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
    def lines() -> int:    # the lab's lines: the real labs' background jobs log meanwhile
        return sum(e.get("host") == "lab" for e in AuditLog().lines())
    before = lines()
    for name, params in [("domu-remove", {"domu": "x; rm -rf /"}),
                         ("domu-remove", {"domu": "../../etc"}),
                         ("domu-lifecycle", {"action": "explode"}),
                         ("domu-create", {"root_size": "lots"}),
                         ("lv-create", {"size": "20 gigs"}),
                         ("lv-create", {"lv": "snapshot-of-x"}),
                         ("lv-extend", {"vg": "../../etc"}),
                         ("bridge-add", {"bridge": "br0;reboot"}),
                         ("domu-create", {"domu": "mail", "password": "x"})]:
        with pytest.raises(InvalidRequest):
            run(tmp_path, name, **params)
    with pytest.raises(RunbookError, match="no runbook"):
        run(tmp_path, "format-the-disks")
    assert lines() == before
    assert not (tmp_path / "runs").exists()


# -- LVM runbooks -------------------------------------------------------------------------

def lv_sizes(root: Path) -> dict[str, int]:
    out = ssh(root, "lvs", "--noheadings", "--units", "b", "--nosuffix", "-o",
              "vg_name,lv_name,lv_size")
    return {f"{v}/{n}": int(s) for v, n, s in (ln.split() for ln in out.splitlines() if ln.strip())}


def test_lv_create_dry_run_apply_and_second_apply(lab, tmp_path):
    dry = run(tmp_path, "lv-create", lv="scratch", size="1G")
    assert dry.status == "succeeded" and dry.outcome["status"] == "dry-run"
    assert "lvm/scratch" not in lv_sizes(lab)
    assert not any(c.startswith(("lvcreate", "mkfs")) for c in dry.commands)
    # a dry-run changes nothing, so its "After" reuses the facts: each command ran once
    assert len(dry.commands) == len(set(dry.commands)), dry.commands
    done = run(tmp_path, "lv-create", apply=True, lv="scratch", size="1G")
    assert done.status == "succeeded" and done.changed, done.error
    assert lv_sizes(lab)["lvm/scratch"] == 1024 ** 3
    assert "TYPE=\"ext4\"" in ssh(lab, "blkid", "/dev/lvm/scratch")
    assert [c.split()[0] for c in done.commands if c.startswith(("lvcreate", "mkfs"))] == \
        ["lvcreate", "mkfs.ext4"]
    # read before planning, then to verify under the lock; "After" shows the latter
    assert sum(c.startswith("pvs ") for c in done.commands) == 2, done.commands
    assert "lvm/scratch" in outputs(done).split("LVs in lvm after")[-1]
    again = run(tmp_path, "lv-create", apply=True, lv="scratch", size="1G")
    assert again.status == "succeeded" and not again.changed
    assert not any(c.startswith(("lvcreate", "mkfs")) for c in again.commands)
    assert len(again.commands) == len(set(again.commands)), again.commands


def test_lv_extend_fault_mid_plan_then_rerun_finishes_only_what_is_left(lab, tmp_path):
    from fxkit.lab import LabStore, faults
    with LabStore("fx", lab).transaction() as state:
        faults.fail_next(state, "resize2fs", status=1,
                         stderr="resize2fs: Device or resource busy while trying to open\n")
    failed = run(tmp_path, "lv-extend", apply=True, lv="backup-root", size="9G")
    assert failed.status == "failed" and failed.error["ename"] == "ApplyFailed"
    assert failed.outcome["status"] == "failed" and failed.changed
    text = outputs(failed)
    assert "[#######.............] 1/3  Grow LV lvm/backup-root" in text
    assert "step 3 (Grow the filesystem" in failed.error["evalue"]
    assert "Device or resource busy" in failed.error["evalue"]
    assert lv_sizes(lab)["lvm/backup-root"] == 9 * 1024 ** 3  # step 1 happened
    rerun = run(tmp_path, "lv-extend", apply=True, lv="backup-root", size="9G")
    assert rerun.status == "succeeded" and rerun.changed, rerun.error
    assert not any(c.startswith("lvextend") for c in rerun.commands)  # not grown twice
    assert any(c.startswith("resize2fs") for c in rerun.commands)
    assert "Block count" in ssh(lab, "dumpe2fs", "-h", "/dev/lvm/backup-root")
    third = run(tmp_path, "lv-extend", apply=True, lv="backup-root", size="9G")
    assert third.status == "succeeded" and not third.changed
    assert lv_sizes(lab)["lvm/backup-root"] == 9 * 1024 ** 3


def test_lv_snapshot_then_lv_remove_with_confirmation(lab, tmp_path):
    snap = run(tmp_path, "lv-snapshot", apply=True, lv="web-root", size="512M")
    assert snap.status == "succeeded" and snap.changed, snap.error
    assert lv_sizes(lab)["lvm/web-root-snap"] == 512 * 1024 ** 2
    again = run(tmp_path, "lv-snapshot", apply=True, lv="web-root", size="512M")
    assert not again.changed
    refused = run(tmp_path, "lv-remove", apply=True, lv="web-root-snap")
    assert refused.status == "failed" and refused.error["ename"] == "ConfirmationRequired"
    assert "lvm/web-root-snap" in lv_sizes(lab)
    gone = run(tmp_path, "lv-remove", apply=True, confirm="lvm/web-root-snap", lv="web-root-snap")
    assert gone.status == "succeeded" and gone.changed, gone.error
    assert "lvm/web-root-snap" not in lv_sizes(lab) and "lvm/web-root" in lv_sizes(lab)


def test_lv_remove_refuses_an_lv_a_domu_uses(lab, tmp_path):
    rec = run(tmp_path, "lv-remove", apply=True, confirm="lvm/backup-root", lv="backup-root")
    assert rec.status == "failed" and rec.error["ename"] == "PreconditionFailed"
    assert "backup" in rec.error["evalue"]
    assert "lvm/backup-root" in lv_sizes(lab)
    assert not any(c.startswith("lvremove") for c in rec.commands)


# -- network, Xen create, doctor ------------------------------------------------------------

def test_bridge_add_apply_persists_and_second_apply_changes_nothing(lab, tmp_path):
    dry = run(tmp_path, "bridge-add", bridge="xenbr3", uplink="eth0.43")
    assert dry.outcome["status"] == "dry-run" and "xenbr3" not in ssh(lab, "brctl", "show")
    done = run(tmp_path, "bridge-add", apply=True, bridge="xenbr3", uplink="eth0.43")
    assert done.status == "succeeded" and done.changed, done.error
    assert "eth0.43" in ssh(lab, "brctl", "show", "xenbr3")
    assert "bridge_ports eth0.43" in ssh(lab, "cat", "/etc/network/interfaces.d/xenbr3")
    again = run(tmp_path, "bridge-add", apply=True, bridge="xenbr3", uplink="eth0.43")
    assert again.status == "succeeded" and not again.changed


def test_domu_create_fault_on_start_then_rerun_completes(lab, tmp_path):
    from fxkit.lab import LabStore, faults
    with LabStore("fx", lab).transaction() as state:
        faults.fail_next(state, "xl create*", status=3,
                         stderr="libxl: error: domain creation failed (injected)\n")
    failed = run(tmp_path, "domu-create", apply=True, domu="mail", bridge="xenbr1")
    assert failed.status == "failed" and failed.error["ename"] == "ApplyFailed"
    assert "Start mail" in failed.error["evalue"]
    assert "mail" not in xl_list(lab) and "lvm/mail-root" in lv_sizes(lab)
    rerun = run(tmp_path, "domu-create", apply=True, domu="mail", bridge="xenbr1")
    assert rerun.status == "succeeded" and rerun.changed, rerun.error
    assert not any(c.startswith(("lvcreate", "mkfs", "mkswap")) for c in rerun.commands)
    assert "xl create /etc/xen/mail.cfg" in rerun.commands
    assert "mail" in xl_list(lab)
    assert "bridge=xenbr1" in ssh(lab, "cat", "/etc/xen/mail.cfg")
    again = run(tmp_path, "domu-create", apply=True, domu="mail", bridge="xenbr1")
    assert again.status == "succeeded" and not again.changed


def test_fx_doctor_clean_then_strict_fails_on_a_planted_problem(lab, tmp_path):
    clean = run(tmp_path, "fx-doctor", strict=True)
    assert clean.status == "succeeded" and clean.outcome["findings"] == []
    from fxkit.lab import LabHost
    LabHost("lab", root=str(lab)).write_file(
        "/etc/xen/ghost.cfg", 'name = "ghost"\nmemory = 64\n'
        'disk = ["phy:/dev/lvm/ghost-root,xvda1,w"]\n')
    found = run(tmp_path, "fx-doctor", strict=True)
    assert found.status == "failed" and "ghost" in found.error["evalue"]
    assert "lvm/ghost-root" in outputs(found) or "ghost-root" in outputs(found)


def test_plain_papermill_cli_applies_a_runbook(lab, tmp_path):
    out = tmp_path / "plain.ipynb"
    done = subprocess.run(
        [str(Path(sys.executable).parent / "papermill"), str(ROOT / "runbooks/lv-create.ipynb"),
         str(out), "-p", "lv", "plain", "-p", "size", "512M", "-p", "apply", "True"],
        capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert lv_sizes(lab)["lvm/plain"] == 512 * 1024 ** 2
    assert "Done: changed. 2 step(s) applied and verified." in out.read_text()
