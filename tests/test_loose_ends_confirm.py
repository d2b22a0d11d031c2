"""Replacing an existing domU config is confirmed by the domU's name, in the CLI
(``fxkit xen create --confirm NAME``) and in the domu-create runbook (``confirm``)."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner
from support.xen import fx_lab

from fxkit.cli import cli, main
from fxkit.lab.transport import LabHost
from fxkit.runbook.params import read_specs

ROOT = Path(__file__).resolve().parent.parent
RUNBOOK = ROOT / "runbooks" / "domu-create.ipynb"
# backup exists on fx (hda devices, xenbr1, 256 MiB): this request changes its config
CREATE_BACKUP = ("xen", "create", "backup", "lab", "--bridge", "xenbr1")


@pytest.fixture
def lab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> LabHost:
    monkeypatch.setenv("FXKIT_LAB_DIR", str(tmp_path))
    return fx_lab(tmp_path)


def fxkit(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
          *args: str) -> tuple[int, str]:
    """`fxkit ARGS` through ``main`` (which sets the exit status): (status, stdout + stderr)."""
    capsys.readouterr()
    monkeypatch.setattr(sys, "argv", ["fxkit", *args])
    with pytest.raises(SystemExit) as e:
        main()
        sys.exit(0)
    out = capsys.readouterr()
    return int(e.value.code or 0), out.out + out.err


def test_the_dry_run_names_the_word_to_confirm_with(lab: LabHost) -> None:
    done = CliRunner().invoke(cli, list(CREATE_BACKUP))
    assert done.exit_code == 0, done.output
    assert "DESTROYS /etc/xen/backup.cfg" in done.output
    assert "(dry run: add --apply --confirm backup to run it)" in done.output


def test_create_over_an_existing_config_needs_confirm_then_replaces_it(lab, capsys,
                                                                       monkeypatch) -> None:
    before = lab.read_file("/etc/xen/backup.cfg")
    for confirm in ((), ("--confirm", "titanic")):
        status, out = fxkit(capsys, monkeypatch, *CREATE_BACKUP, "--apply", *confirm)
        assert status == 3, out
        assert "confirm='backup' (CLI: --confirm backup)" in out
        assert lab.read_file("/etc/xen/backup.cfg") == before
    status, out = fxkit(capsys, monkeypatch, *CREATE_BACKUP, "--apply", "--confirm", "backup")
    assert status == 0, out
    after = lab.read_file("/etc/xen/backup.cfg")
    assert after != before and "xvda1" in after and "bridge=xenbr1" in after


def test_remove_keeps_its_confirm_option(lab, capsys, monkeypatch) -> None:
    status, out = fxkit(capsys, monkeypatch, "xen", "remove", "backup", "lab", "--apply")
    assert status == 3 and "--confirm backup" in out
    status, out = fxkit(capsys, monkeypatch, "xen", "remove", "backup", "lab", "--apply",
                        "--confirm", "backup")
    assert status == 0, out
    assert "backup.cfg" not in lab.run(["ls", "-1", "/etc/xen"]).stdout


def test_the_runbook_takes_confirm_and_passes_it_to_the_plan() -> None:
    specs = read_specs(RUNBOOK)
    assert specs["confirm"].type == "str" and specs["confirm"].default == '""'
    code = "".join(c.source for c in nbformat.read(RUNBOOK, as_version=4).cells
                   if c.cell_type == "code")
    assert "apply_plan(fx, plan, apply=apply, confirm=confirm," in code
    intro = nbformat.read(RUNBOOK, as_version=4).cells[0].source
    assert "Nothing is\ndestroyed" not in intro and "`--confirm DOMU`" in intro


@pytest.mark.notebook
def test_the_runbook_replaces_a_config_only_when_confirmed(sim_lab_root, monkeypatch,
                                                          tmp_path):
    from fxkit.lab import reset
    from fxkit.runbook.runner import run_runbook
    monkeypatch.setenv("FXKIT_LAB_DIR", str(sim_lab_root))
    reset("fx", sim_lab_root)
    host = LabHost("lab", root=str(sim_lab_root))
    before = host.read_file("/etc/xen/backup.cfg")
    params = {"domu": "backup", "bridge": "xenbr1", "memory": 128}
    refused = run_runbook("domu-create", params, apply=True, runs_dir=tmp_path / "runs")
    assert refused.status != "succeeded" and not refused.changed
    assert "confirm='backup'" in refused.error["evalue"]
    assert host.read_file("/etc/xen/backup.cfg") == before
    done = run_runbook("domu-create", params, apply=True, confirm="backup",
                       runs_dir=tmp_path / "runs")
    assert done.status == "succeeded" and done.changed, done.error
    assert "xvda1" in host.read_file("/etc/xen/backup.cfg")
