"""What the lv-extend runbook says about running it twice is what happens: a relative size
is resolved once into an absolute target; the same target (a resumed run, the same plan)
never grows the LV twice, while a new run with ``+1G`` is a new request and grows it again.
The drop-after-lvextend case through ``fxkit runs resume``: tests/test_runbook_resume.py."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from support.xen import fx_lab

from fxkit.lab.transport import LabHost
from fxkit.lvm.plans import plan_lv_extend
from fxkit.runbook.targets import resolve
from fxkit.xen.storage import read_lvm_facts

ROOT = Path(__file__).resolve().parent.parent
RUNBOOK = ROOT / "runbooks" / "lv-extend.ipynb"
GIB = 2**30


def web_root(lab: LabHost) -> int:
    return read_lvm_facts(lab).lvm.lv("lvm/web-root").size_bytes


def test_the_runbook_says_a_rerun_grows_again_and_resume_does_not() -> None:
    prose = " ".join(" ".join(c.source.split()) for c in nbformat.read(RUNBOOK, as_version=4)
                     .cells if c.cell_type == "markdown")
    assert "running the runbook twice never grows the LV twice" not in prose
    assert "running the runbook again finishes the job" not in prose
    assert "running this runbook again with `+1G` grows the LV by one more GiB" in prose
    assert "`fxkit runs resume RUN_ID`" in prose and "never grows twice" in prose


def test_a_relative_size_is_resolved_once_and_its_target_never_grows_twice(tmp_path) -> None:
    lab = fx_lab(tmp_path)
    start = web_root(lab)
    plan = plan_lv_extend(read_lvm_facts(lab), "lvm/web-root", "+1G")
    target = resolve(plan, {"lv": "web-root", "vg": "lvm", "size": "+1G"})
    assert target["size"].startswith("-l ")           # absolute extents, kept in the record
    plan.apply(lab)
    assert web_root(lab) == start + GIB
    again = plan.apply(lab)                           # the same plan: each step re-checked
    assert not again.ran and web_root(lab) == start + GIB
    resumed = plan_lv_extend(read_lvm_facts(lab), "lvm/web-root", target["size"])
    assert resumed.empty and web_root(lab) == start + GIB     # what `runs resume` plans
    plan_lv_extend(read_lvm_facts(lab), "lvm/web-root", "+1G").apply(lab)
    assert web_root(lab) == start + 2 * GIB           # a new +1G run is a new request


@pytest.mark.notebook
def test_the_runbook_with_its_resolved_target_does_not_grow_twice(sim_lab_root, monkeypatch,
                                                                  tmp_path) -> None:
    from fxkit.lab import reset
    from fxkit.runbook.runner import run_runbook
    monkeypatch.setenv("FXKIT_LAB_DIR", str(sim_lab_root))
    reset("fx", sim_lab_root)
    lab = LabHost("lab", root=str(sim_lab_root), audit=None)
    start = web_root(lab)
    runs = tmp_path / "runs"
    first = run_runbook("lv-extend", {"lv": "web-root", "size": "+1G"}, apply=True,
                        runs_dir=runs)
    assert first.status == "succeeded" and first.changed, first.error
    assert web_root(lab) == start + GIB and first.target["size"].startswith("-l ")
    same = run_runbook("lv-extend", {"lv": "web-root", **first.target}, apply=True,
                       runs_dir=runs)
    assert same.status == "succeeded" and not same.changed, same.error
    assert web_root(lab) == start + GIB
    rerun = run_runbook("lv-extend", {"lv": "web-root", "size": "+1G"}, apply=True,
                        runs_dir=runs)
    assert rerun.status == "succeeded" and rerun.changed
    assert web_root(lab) == start + 2 * GIB
