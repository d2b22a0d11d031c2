"""Runbooks under plain papermill (cron, Airflow, jupyter-scheduler): as safe as `fxkit run`.

The check cell after the parameters refuses what `fxkit run` refuses before any command
reaches the host (the audit log proves it), and a good run leaves the same record,
sealed in the audit log, that `fxkit runs verify` accepts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner

from fxkit.audit import AuditLog
from fxkit.cli import cli
from fxkit.runbook.records import list_runs

pytestmark = pytest.mark.notebook
ROOT = Path(__file__).resolve().parent.parent
PAPERMILL = str(Path(sys.executable).parent / "papermill")


@pytest.fixture
def lab(tmp_path, monkeypatch):
    """A fresh in-process lab, audit log and runs dir; papermill's kernels inherit them."""
    from fxkit.lab import reset
    monkeypatch.setenv("FXKIT_LAB_DIR", str(tmp_path / "lab"))
    monkeypatch.setenv("FXKIT_AUDIT_LOG", str(tmp_path / "audit.jsonl"))
    monkeypatch.setenv("FXKIT_RUNS_DIR", str(tmp_path / "runs"))
    reset("fx")
    return tmp_path


def papermill(tmp_path: Path, runbook: str, *args: str) -> subprocess.CompletedProcess:
    out = tmp_path / f"out-{runbook}.ipynb"
    return subprocess.run([PAPERMILL, str(ROOT / "runbooks" / f"{runbook}.ipynb"), str(out),
                           *args], capture_output=True, text=True, timeout=300, cwd=tmp_path)


def lv_names(tmp_path: Path) -> set[str]:
    from fxkit.lab import LabHost
    out = LabHost("lab", audit=None).run(["lvs", "--noheadings", "-o", "lv_name"]).stdout
    return {line.strip() for line in out.splitlines() if line.strip()}


@pytest.mark.parametrize("args,words", [
    (["-p", "apply", "no", "-p", "lv", "plain"], "apply='no' is not True or False"),
    (["-p", "lv", "x; rm -rf /", "-p", "apply", "True"], "shell metacharacters"),
    (["-p", "colour", "red", "-p", "apply", "True"], "unknown parameter(s) colour"),
    (["-p", "password", "hunter2", "-p", "apply", "True"], "unknown parameter(s) password"),
    (["-p", "sudo", "yes", "-p", "apply", "True"], "sudo='yes' is not True or False"),
])
def test_plain_papermill_refuses_before_any_host_command(lab, args, words):
    done = papermill(lab, "lv-create", *args)
    assert done.returncode != 0
    assert "InvalidRequest" in done.stderr and words in done.stderr, done.stderr[-1500:]
    assert "Nothing was run" in done.stderr
    assert AuditLog().lines() == []            # not one command reached the host
    assert "plain" not in lv_names(lab) and not (lab / "runs").exists()


def test_plain_papermill_run_leaves_a_record_that_verifies(lab):
    done = papermill(lab, "lv-create", "-p", "lv", "plain", "-p", "size", "512M",
                     "-p", "apply", "True", "--inject-paths")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "plain" in lv_names(lab)
    [rec] = list_runs(lab / "runs")
    assert rec.started_by == "papermill" and rec.status == "succeeded" and rec.changed
    assert rec.parameters == {"lv": "plain", "size": "512M", "apply": True, "host": "lab"}
    assert rec.notebook == str(lab / "out-lv-create.ipynb")
    assert rec.runbook_path == str(ROOT / "runbooks" / "lv-create.ipynb")
    assert [c.split()[0] for c in rec.commands if c.startswith(("lvcreate", "mkfs"))] == \
        ["lvcreate", "mkfs.ext4"]
    assert rec.commands == [" ".join(e["argv"]) for e in rec.audit_lines]
    seal = AuditLog().lines()[-1]
    assert seal["run_id"] == rec.id and seal["argv"][:2] == ["papermill", "lv-create"]
    assert seal["status"] == "succeeded" and seal["exit_status"] == 0
    runner = CliRunner()
    ok = runner.invoke(cli, ["runs", "--runs-dir", str(lab / "runs"), "verify", rec.id])
    assert ok.exit_code == 0 and "record sealed" in ok.output, ok.output
    listed = runner.invoke(cli, ["runs", "--runs-dir", str(lab / "runs")])
    assert "(papermill)" in listed.output
    shown = runner.invoke(cli, ["runs", "--runs-dir", str(lab / "runs"), "show", rec.id])
    assert "started by papermill" in shown.output and "lvcreate" in shown.output
    # the record is sealed: editing it shows
    record = rec.record_path
    record.write_text(record.read_text().replace('"succeeded"', '"failed"'))
    bad = runner.invoke(cli, ["runs", "--runs-dir", str(lab / "runs"), "verify", rec.id])
    assert bad.exit_code == 1 and "was modified after the run" in bad.output


def test_plain_papermill_failed_run_is_recorded_as_failed(lab):
    from fxkit.lab import LabStore, faults
    with LabStore("fx").transaction() as state:
        faults.fail_next(state, "lvcreate", status=5, stderr="  Insufficient free space\n")
    done = papermill(lab, "lv-create", "-p", "lv", "plain", "-p", "apply", "True")
    assert done.returncode != 0
    [rec] = list_runs(lab / "runs")
    assert rec.status == "failed" and rec.error["ename"] == "ApplyFailed"
    assert rec.outcome["status"] == "failed"
    assert CliRunner().invoke(cli, ["runs", "--runs-dir", str(lab / "runs"), "verify",
                                    rec.id]).exit_code == 0


def test_fxkit_run_keeps_one_record_not_two(lab):
    from fxkit.runbook.runner import run_runbook
    rec = run_runbook("lv-create", {"lv": "viafxkit"}, apply=True)
    assert rec.status == "succeeded" and rec.started_by == "fxkit run"
    assert [r.id for r in list_runs(lab / "runs")] == [rec.id]


def test_help_notebook_shows_types_and_defaults():
    done = subprocess.run([PAPERMILL, "--help-notebook", str(ROOT / "runbooks/lv-extend.ipynb")],
                          capture_output=True, text=True, timeout=120)
    text = done.stdout
    assert "Unknown type" not in text
    for line in ('host: str (default "lab")', "apply: bool (default False)",
                 "sudo: bool (default False)", 'size: str (default "+1G")'):
        assert line in text, text


def test_the_check_reads_false_for_a_yes_no_parameter_given_as_text(lab):
    """`-p resize_fs no`: "no" is read as False, explicitly (and shown so), never truthy."""
    done = papermill(lab, "lv-extend", "-p", "resize_fs", "no", "-p", "size", "9G")
    assert done.returncode == 0, done.stderr[-2000:]
    nb = nbformat.read(lab / "out-lv-extend.ipynb", as_version=4)
    checked = next(c for c in nb.cells if "check_parameters(" in c.source)
    assert "resize_fs=False" in checked.outputs[0]["data"]["text/plain"]
    plan = json.dumps([c.get("outputs", []) for c in nb.cells])
    assert "resize2fs" not in plan  # the plan grows the LV only


def test_kernel_env_is_not_leaked_into_this_process(lab):
    from fxkit.runbook.events import RUN_ENV
    from fxkit.runbook.runner import run_runbook
    run_runbook("host-inventory", {})
    assert RUN_ENV not in os.environ
