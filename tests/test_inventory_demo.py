"""The inventory (read-only tables) and `fxkit demo`, the main job, on the lab."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fxkit.inventory import read_inventory
from fxkit.lab import LabHost, reset


@pytest.fixture
def lab(tmp_path, monkeypatch):
    monkeypatch.setenv("FXKIT_LAB_DIR", str(tmp_path / "lab"))
    reset("fx")
    return LabHost(audit=None)


def test_inventory_of_fx(lab):
    inv = read_inventory(lab)
    text = str(inv)
    assert [vg.name for vg in inv.lvm.vgs] == ["lvm"]
    lvs = {row[1]: row for row in inv.lv_table().rows}
    assert lvs["secours-root"][5] == "titanic" and lvs["secours-root"][3] == "-wi-ao----"
    assert lvs["backup-root"][3] == "-wi-a-----"  # backup is stopped: its LV is not open
    domains = {row[0]: row for row in inv.domain_table().rows}
    assert domains["backup"][4] == "(stopped)" and domains["titanic"][5] == "/etc/xen/titanic.cfg"
    bridges = {row[0]: row for row in inv.bridge_table().rows}
    assert bridges["xenbr1"][1] == "eth0.42" and "vif1.1 (titanic)" in bridges["xenbr1"][2]
    assert text.startswith("Volume groups\n")


def test_inventory_runs_only_read_only_commands(lab, tmp_path):
    from fxkit.audit import AuditLog
    lab.audit = AuditLog(tmp_path / "audit.jsonl")
    before = (tmp_path / "lab" / "fx" / "state.json").read_text()
    read_inventory(lab)
    assert (tmp_path / "lab" / "fx" / "state.json").read_text() == before
    assert len(lab.audit.lines()) <= 12, "inventory should need only a few commands"


@pytest.mark.notebook
@pytest.mark.slow
def test_make_demo_job(tmp_path):
    env = {**os.environ, "FXKIT_LAB_DIR": str(tmp_path / "lab"),
           "FXKIT_AUDIT_LOG": str(tmp_path / "audit.jsonl")}
    fxkit = [sys.executable, "-m", "fxkit"]
    try:
        out = subprocess.run([*fxkit, "demo", "--runs-dir", str(tmp_path / "runs")], env=env,
                             capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stdout + out.stderr
        assert "lvextend -l 2560 lvm/backup-root" in out.stdout
        assert "apply    succeeded  changed=yes" in out.stdout
        assert "audit log intact" in out.stdout
        # the apply: the later of the two runs (names do not sort in run order when both
        # start within one second: the second is ...-lab-2.json, which sorts first)
        records = [json.loads(p.read_text())
                   for p in Path(tmp_path / "runs").glob("*/*-lv-extend-lab*.json")]
        assert len(records) == 2, records
        data = max(records, key=lambda r: r["start"])
        assert data["parameters"]["apply"] is True and data["changed"] is True
        # the lab really changed: 8 GiB + 2 GiB
        ssh = subprocess.run(["ssh", "-F", str(tmp_path / "lab" / "ssh_config"), "-o",
                              "BatchMode=yes", "fx", "lvs", "--noheadings", "-o", "lv_size",
                              "--units", "g", "lvm/backup-root"],
                             capture_output=True, text=True, timeout=30)
        assert ssh.stdout.strip() == "10.00g", ssh.stderr
    finally:
        subprocess.run([*fxkit, "lab", "stop"], env=env, capture_output=True, timeout=30)


def test_inventory_cli(lab):
    from click.testing import CliRunner

    from fxkit.cli import cli
    out = CliRunner().invoke(cli, ["inventory", "lab"])
    assert out.exit_code == 0, out.output
    assert "xenbr2  eth1     vif1.2 (titanic), vif3.1 (web)" in out.output


@pytest.mark.notebook
@pytest.mark.slow
def test_demo_on_a_log_with_an_old_problem_says_how_to_start_a_new_chain(tmp_path):
    """A log with an old gap (a line appended while its anchor file was gone) fails every
    check, forever: the demo says its own run is fine and how to start a fresh chain."""
    from fxkit.audit import AuditLog, anchor_path
    log = tmp_path / "audit.jsonl"
    AuditLog(log).append({"argv": ["true"], "host": "old"})
    anchor_path(log).unlink()
    AuditLog(log).append({"argv": ["true"], "host": "old"})       # noted: no anchor
    env = {**os.environ, "FXKIT_LAB_DIR": str(tmp_path / "lab"), "FXKIT_AUDIT_LOG": str(log)}
    try:
        out = subprocess.run([sys.executable, "-m", "fxkit", "demo", "--runs-dir",
                              str(tmp_path / "runs")], env=env, capture_output=True,
                             text=True, timeout=300)
        assert out.returncode == 1, out.stdout + out.stderr
        assert "Traceback" not in out.stderr
        assert f"this run's record verifies, but the audit log {log} does not" in out.stderr
        assert "line 2: when fxkit appended this line, no anchor file" in out.stderr
        assert "point FXKIT_AUDIT_LOG at a new file" in out.stderr
    finally:
        subprocess.run([sys.executable, "-m", "fxkit", "lab", "stop"], env=env,
                       capture_output=True, timeout=60)
