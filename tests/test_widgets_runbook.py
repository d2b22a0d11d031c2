"""The runbook launcher headless: a form from a real parameters cell, Run, links to the record."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import ipywidgets as w
import nbformat
import pytest

from fxkit.runbook.params import read_specs
from fxkit.widgets.runbook_launcher import RunbookLauncher, field_for


@pytest.fixture
def runbook(tmp_path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python",
                                 "display_name": "Python 3"}
    params = nbformat.v4.new_code_cell(
        'host = "lab"  # where to run\napply = False\nvg = "lvm"\nlv = "scratch"\n'
        'size = "+256M"\ncopies = 2\n')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell("print(host, vg, lv, size)")]
    path = tmp_path / "lv-extend.ipynb"
    nbformat.write(nb, path)
    return path


@dataclass
class FakeRecord:
    runbook: str
    host: str
    status: str
    changed: bool
    notebook: str
    error: dict | None = None

    @property
    def record_path(self) -> Path:
        return Path(self.notebook).with_suffix(".json")


def test_form_is_built_from_the_parameters_cell(runbook):
    ui = RunbookLauncher("lv-extend", names=["lv-extend"], specs=lambda n: read_specs(runbook),
                         runner=None)
    assert list(ui.fields) == ["host", "apply", "vg", "lv", "size", "copies"]
    assert isinstance(ui.fields["apply"], w.Checkbox) and ui.fields["apply"].value is False
    assert isinstance(ui.fields["copies"], w.IntText) and ui.fields["copies"].value == 2
    assert ui.fields["size"].value == "+256M"
    assert ui.fields["host"].tooltip == "where to run"


def test_run_passes_the_form_values_and_links_output_and_record(runbook, tmp_path):
    calls = []

    def runner(name, params, runs_dir):
        calls.append((name, params, runs_dir))
        return FakeRecord(name, params["host"], "succeeded", True,
                          str(tmp_path / "runs/2007-11-21/140000-lv-extend-lab.ipynb"))

    ui = RunbookLauncher("lv-extend", names=["lv-extend"], specs=lambda n: read_specs(runbook),
                         runner=runner, runs_dir=tmp_path / "runs")
    ui.fields["apply"].value = True
    ui.fields["size"].value = "+1G"
    ui.fields["lv"].value = ""            # empty: keep the runbook's default
    ui.run_button.click()
    name, params, runs_dir = calls[0]
    assert name == "lv-extend" and runs_dir == tmp_path / "runs"
    assert params == {"host": "lab", "apply": True, "vg": "lvm", "size": "+1G", "copies": 2}
    out = ui.result.value
    assert "<b>succeeded</b>, changed the host" in out
    assert "140000-lv-extend-lab.ipynb" in out and "140000-lv-extend-lab.json" in out
    assert not ui.run_button.disabled


def test_a_failed_run_shows_the_failing_cell(runbook):
    def runner(name, params, runs_dir):
        return FakeRecord(name, "lab", "failed", False, "runs/x.ipynb",
                          {"cell": 4, "ename": "ApplyFailed", "evalue": "step 2 failed"})

    ui = RunbookLauncher("lv-extend", names=["lv-extend"], specs=lambda n: read_specs(runbook),
                         runner=runner)
    ui.run_button.click()
    assert "<b>failed</b>" in ui.result.value and "cell 4: ApplyFailed" in ui.result.value


def test_bad_parameters_are_shown_not_raised(runbook):
    from fxkit.errors import InvalidRequest

    def runner(name, params, runs_dir):
        raise InvalidRequest("lv-extend: parameter lv='x; rm' is not a valid LV name")

    ui = RunbookLauncher("lv-extend", names=["lv-extend"], specs=lambda n: read_specs(runbook),
                         runner=runner)
    ui.run_button.click()
    assert "fxkit-error" in ui.result.value and "not a valid LV name" in ui.result.value


def test_field_types():
    assert isinstance(field_for("x", "float", "1.5"), w.FloatText)
    assert field_for("x", "None", "None").value == ""


def test_a_parameter_whose_comment_lists_its_values_is_a_choice():
    action = field_for("action", "str", '"reboot"', "start, shutdown or reboot")
    assert isinstance(action, w.Dropdown)
    assert action.options == ("start", "shutdown", "reboot") and action.value == "reboot"
    # not a list of values: free text, or a default outside the list
    assert isinstance(field_for("host", "str", '"lab"', "lab, lab:fourier, an ssh_config "
                                "alias, ssh://user@host:port"), w.Text)
    assert isinstance(field_for("mode", "str", '"x"', "a or b"), w.Text)


def test_the_lifecycle_runbooks_action_is_offered_as_a_choice():
    from fxkit.runbook import find_runbook

    ui = RunbookLauncher("domu-lifecycle", names=["domu-lifecycle"],
                         specs=lambda n: read_specs(find_runbook(n)), runner=None)
    assert isinstance(ui.fields["action"], w.Dropdown)
    ui.fields["action"].value = "shutdown"
    assert ui.values()["action"] == "shutdown"


@pytest.mark.notebook
def test_launcher_runs_a_real_runbook_on_the_lab(tmp_path):
    """The default runner: papermill executes lv-extend (dry run) against the lab."""
    import fxkit.lab

    fxkit.lab.reset("fx")
    ui = RunbookLauncher("lv-extend", runs_dir=tmp_path / "runs")
    assert "lv-extend" in ui.runbook.options and ui.fields["apply"].value is False
    ui.fields["lv"].value, ui.fields["size"].value = "web-swap", "+256M"
    ui.run_button.click()
    rec = ui.record
    assert rec is not None, ui.result.value
    assert (rec.status, rec.changed) == ("succeeded", False), ui.result.value
    assert Path(rec.notebook).is_file() and rec.record_path.is_file()
    assert "<b>succeeded</b>, changed nothing" in ui.result.value
    assert rec.parameters["lv"] == "web-swap" and rec.parameters["size"] == "+256M"
