"""Exported plans: a playbook run by real ansible-playbook and a script run by sh reach the
same end state as fxkit's own apply, on identical real lvm2 hosts, and change nothing twice."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from fxkit import connect
from fxkit.lvm import plan_lv_create
from fxkit.xen import read_lvm_facts
from tests.support.lvm2 import Lvm2Sandbox, lvm2_missing_reason

pytestmark = pytest.mark.lvm2
VG = "fxexp"


def _box(tmp_path, name):
    why = lvm2_missing_reason()
    if why:
        pytest.skip(why)
    box = Lvm2Sandbox.start(tmp_path / name, sizes_mib=[64])
    box.lvm("vgcreate", "-s", "4m", VG, box.loops[0]).check_returncode()
    return box


def _lvs(box):
    out = box.lvm("lvs", "--noheadings", "-o", "lv_name,lv_size,lv_attr", "--units", "b", VG)
    return sorted(tuple(line.split()) for line in out.stdout.splitlines() if line.strip())


@pytest.fixture
def env(monkeypatch):
    def use(box):
        for k, v in box.env.items():
            monkeypatch.setenv(k, v)
    return use


def _plan():
    facts = read_lvm_facts(connect("local"))
    return plan_lv_create(facts, VG, "data", "16M", activate=False, zero=False)


def test_playbook_and_script_match_fxkit_apply(tmp_path, env):
    boxes = [_box(tmp_path, n) for n in ("fxkit", "ansible", "sh")]
    try:
        env(boxes[0])
        plan = _plan()
        plan.apply(connect("local"))
        want = _lvs(boxes[0])
        assert [lv[0] for lv in want] == ["data"]

        env(boxes[1])
        book = tmp_path / "plan.yml"
        book.write_text(plan.to_ansible())
        for changed in (1, 0):
            done = subprocess.run(
                [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,",
                 "-c", "local", "-e", f"ansible_python_interpreter={sys.executable}",
                 str(book)], capture_output=True, text=True, timeout=300,
                env={**os.environ, "LC_ALL": "C.UTF-8", "ANSIBLE_NOCOLOR": "1",
                     "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible"),
                     "ANSIBLE_HOME": str(tmp_path / "ansible")})
            assert done.returncode == 0, done.stdout + done.stderr
            assert f"changed={changed} " in done.stdout, done.stdout
        assert _lvs(boxes[1]) == want

        env(boxes[2])
        script = tmp_path / "plan.sh"
        script.write_text(plan.to_shell())
        dry = subprocess.run(["sh", str(script), "--dry-run"], capture_output=True, text=True)
        assert dry.returncode == 0 and "would run" in dry.stdout and _lvs(boxes[2]) == []
        for changed in (1, 0):
            done = subprocess.run(["sh", str(script)], capture_output=True, text=True)
            assert done.returncode == 0, done.stderr
            assert done.stdout.strip().endswith(f"changed={changed}")
        assert _lvs(boxes[2]) == want
    finally:
        for box in boxes:
            box.stop()


def test_exported_forms_quote_every_word_and_ask_for_confirmation():
    from fxkit.plan import Plan, Step
    plan = Plan("Remove", [Step("Remove LV it's", ("lvremove", "-f", "vg/it's"),
                                destroys="vg/it's", needed=lambda h: True)])
    text = plan.to_shell()
    assert "'lvremove' '-f' 'vg/it'\"'\"'s'" in text and "exit 3" in text
    done = subprocess.run(["sh", "-c", text.replace("'lvremove'", "'echo'"), "sh"],
                          capture_output=True, text=True)
    assert done.returncode == 3 and "--confirm vg/it's" in done.stderr
    book = plan.to_ansible()
    assert "fxkit_confirm" in book and "ansible.builtin.assert" in book
