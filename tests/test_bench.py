"""Smoke tests for bench/: each benchmark runs at tiny sizes and reports well-formed results.

No timing is asserted: the machine is shared and the numbers mean nothing here.
"""

from __future__ import annotations

import ast
import json
import math
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import ansible_bench, common, labgen, run, runbook_overhead, scale  # noqa: E402


def check_report(rep: common.Report) -> dict:
    data = json.loads(json.dumps(rep.to_dict()))  # JSON-serialisable, plain types
    assert data["title"] and data["rows"], data
    names = [r["name"] for r in data["rows"]]
    assert len(names) == len(set(names)), f"duplicate row names: {names}"
    for row in data["rows"]:
        assert row["n"] >= 1 and row["reps"] >= 1, row
        for key in ("median_s", "per_op_ms", "min_s", "max_s"):
            assert math.isfinite(row[key]) and row[key] > 0, (key, row)
        assert row["min_s"] <= row["median_s"] <= row["max_s"], row
    for target in data["targets"]:
        assert set(target) >= {"name", "value", "limit", "met"}, target
        assert isinstance(target["met"], bool)
    for value in data["ratios"].values():
        assert math.isfinite(value) and value > 0
    return data


def test_row_median_and_rates() -> None:
    row = common.Row("x", 10, [0.3, 0.1, 0.2])
    assert row.median == 0.2
    assert row.per_op_ms == pytest.approx(20.0)
    assert row.per_second == pytest.approx(50.0)
    assert common.Target("t", 0.4, 0.5).met and not common.Target("t", 0.6, 0.5).met
    assert common.Target("t", 25, 20, at_least=True).met


def test_results_json_merges_and_describes_the_machine(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    info = common.machine()
    assert info["cores"] >= 1 and info["cpu"] and info["python"] and info["paramiko"]
    assert len(info["load_average_start"]) == 3
    first = common.Report("a", [common.Row("r", 1, [0.1])])
    common.write_results({"a": first}, info, out)
    common.write_results({"b": common.Report("b", [common.Row("s", 1, [0.2])])}, info, out)
    data = json.loads(out.read_text())
    assert set(data["benchmarks"]) == {"a", "b"}  # a run of one benchmark keeps the others
    assert data["machine"]["openssh"].startswith("OpenSSH")
    assert len(data["benchmarks"]["b"]["load_average_end"]) == 3


def test_scale_tiny() -> None:
    rep = scale.run(n_lvs=40, n_domains=3, reps=2, lab_sizes=(10,))
    data = check_report(rep)
    names = {r["name"] for r in data["rows"]}
    assert {"parse xl list", "lab true @ 10 LVs", "lab lvs @ 40 LVs",
            "doctor @ 3 domains (lab)"} <= names
    assert any(t["name"].startswith("40-LV JSON parse") for t in data["targets"])


def test_big_lab_state_is_consistent() -> None:
    state = labgen.big_state(6, 3)
    lvm, xen = state.sections["lvm"], state.sections["xen"]
    assert len(lvm.all_lvs()) == 6
    assert len([d for d in xen.domains if not d.is_dom0]) == 3
    assert "/etc/xen/d00002.cfg" in state.files
    assert lvm.resolve("/dev/bench/d00005-swap") is not None


@pytest.mark.sshd
def test_roundtrip_tiny() -> None:
    from fxkit.testing.sshd import sshd_missing_reason
    if why := sshd_missing_reason():
        pytest.skip(why)
    from bench import roundtrip
    data = check_report(roundtrip.run(n=3, reps=2, quick=True))
    names = {r["name"] for r in data["rows"]}
    assert {"fxkit true", "fxkit lvs", "openssh-mux true", "openssh-new true",
            "fxkit-lab-ssh true", "fxkit-lab-inprocess lvs"} <= names
    assert "fxkit / openssh-mux (true)" in data["ratios"]
    assert "fabric, ansible" in data["skipped"]


@pytest.mark.notebook
def test_runbook_overhead_tiny() -> None:
    data = check_report(runbook_overhead.run(reps=1, quick=True))
    names = {r["name"] for r in data["rows"]}
    assert {"fxkit run (CLI, papermill)", "plain Python script, same cells"} <= names
    assert data["targets"][0]["name"].startswith("runbook dry-run overhead")


def test_notebook_becomes_a_plain_script(tmp_path: Path) -> None:
    nb = {"cells": [
        {"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": ["vg = 'x'\n"]},
        {"cell_type": "markdown", "metadata": {}, "source": ["# title"]},
        {"cell_type": "code", "metadata": {}, "source": ["%fx lvs\n", "print(vg, size)"]}],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "t.ipynb"
    path.write_text(json.dumps(nb))
    script = runbook_overhead.notebook_as_script(path, {"size": "+1G"}, "lab")
    ast.parse(script)
    assert "size = '+1G'" in script and "host = 'lab'" in script
    assert "# (IPython only) %fx lvs" in script
    assert script.index("vg = 'x'") < script.index("size = '+1G'") < script.index("print(")


def test_ansible_files_are_well_formed(tmp_path: Path) -> None:
    class Sshd:
        port, known_hosts, user_key = 2222, tmp_path / "kh", tmp_path / "key"
    inv = ansible_bench.inventory(tmp_path, Sshd, "root")
    assert "ansible_port=2222" in inv.read_text() and "ansible_user=root" in inv.read_text()
    book = json.loads(ansible_bench.commands_playbook(tmp_path, ["true"], 3).read_text())
    assert len(book[0]["tasks"]) == 3 and book[0]["gather_facts"] is False
    lvol = json.loads(ansible_bench.lvol_playbook(tmp_path, "vg", "lv", "+1G", {"A": "1"})
                      .read_text())
    assert lvol[0]["tasks"][0]["community.general.lvol"]["size"] == "+1G"
    env = ansible_bench.workdir_env(tmp_path / "w")
    assert env["ANSIBLE_PIPELINING"] == "True" and (tmp_path / "w" / "cp").is_dir()


def test_run_py_quick_scale(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "results.json"
    assert run.main(["scale", "--quick", "--reps", "2", "--lvs", "30", "--domains", "2",
                     "--results", str(out)]) == 0
    data = json.loads(out.read_text())
    assert list(data["benchmarks"]) == ["scale"] and data["machine"]["cores"] >= 1
    assert "== Scale" in capsys.readouterr().out


def test_run_py_rejects_unknown_benchmark() -> None:
    with pytest.raises(SystemExit):
        run.main(["nosuch", "--quick"])


def test_lab_what_if_fixes_keep_the_output(tmp_path: Path) -> None:
    from bench.experiments import lab_fixes
    from fxkit.lab.transport import LabHost
    labgen.write_lab(tmp_path, 30, 4)
    host = LabHost(name="lab", scenario="fx", root=str(tmp_path), audit=None)
    argv = [*scale.STORAGE_LVS[:-1], "vg_name,lv_name,lv_size,lv_attr,lv_uuid"]
    before = host.run(argv).stdout
    host.run(["lvcreate", "-s", "-L", "64M", "-n", "snap", "bench/d00003-swap"], check=False)
    with_snapshot = host.run(argv).stdout
    with lab_fixes():
        assert host.run(argv).stdout == with_snapshot
    assert before != with_snapshot  # the snapshot's origin shows in lv_attr


def test_cpu_floor_spreads_the_reads_cpu_over_the_cores() -> None:
    """The least time of the many-host command: its own part (the one-host command less
    one read) plus the reads' CPU on every core at once."""
    from bench.fleet import cpu_floor
    assert cpu_floor(0.40, 0.03, 1.6, 2) == pytest.approx(0.37 + 0.8)
    assert cpu_floor(0.40, 0.03, 1.6, 8) == pytest.approx(0.37 + 0.2)


@pytest.mark.slow
def test_fleet_tiny_reports_where_the_cpu_goes_and_the_floor() -> None:
    """A lab fleet of four: the note splits the reads' CPU between fxkit, `ssh -G` and the
    lab server, and the floor that CPU puts under the ratio is reported beside it."""
    from bench import fleet
    data = check_report(fleet.run(quick=True))
    floor = [v for k, v in data["ratios"].items() if k.startswith("least possible")]
    assert len(floor) == 1 and floor[0] > 0, data["ratios"]
    note = next(n for n in data["notes"] if n.startswith("where 4 hosts' time goes"))
    assert "in `ssh -G`" in note and "ms of CPU per host" in note, note
