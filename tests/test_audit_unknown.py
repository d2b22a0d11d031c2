"""A command that may have run is never missing from the audit log (issue 16, finding 1).

A command that changes a host is logged "started" before it is sent and "ended" after,
with its result or "connection lost: outcome unknown"; an apply whose connection drops
mid-step says "outcome unknown" with what it re-read, never "nothing changed"; a lock
that cannot be released after a successful step says the step ran and the lock stays.
"""

from __future__ import annotations

import pytest

from fxkit.audit import LOST, AuditLog
from fxkit.errors import ApplyFailed, ConnectionFailed
from fxkit.host import Exec
from fxkit.hostlock import current_owner
from fxkit.lab import LabStore, faults
from fxkit.lab.transport import LabHost
from fxkit.lvm import plan_lv_extend
from fxkit.plan import REREAD_DONE
from fxkit.testing import FunctionHost
from fxkit.xen import read_lvm_facts


def test_a_change_is_logged_before_it_is_sent_and_when_it_ends(tmp_path):
    log = AuditLog(tmp_path / "audit.jsonl")
    seen_before: list[list[dict]] = []

    def answer(call):
        seen_before.append(log.entries())        # what the log held when the host got it
        return Exec(0, "done\n", "")
    host = FunctionHost(answer, name="fx", audit=log)
    host.run(["lvextend", "-l", "10", "vg/lv"])
    host.run(["lvs"], read_only=True)
    assert [(e["phase"], e["argv"][0]) for e in seen_before[0]] == [("started", "lvextend")]
    entries = log.entries()
    assert [(e.get("phase"), e["argv"][0]) for e in entries] == [
        ("started", "lvextend"), ("ended", "lvextend"), (None, "lvs")]
    assert entries[0]["cmd"] == entries[1]["cmd"] and entries[1]["exit_status"] == 0
    assert [e["argv"][0] for e in log.lines()] == ["lvextend", "lvs"]   # one per command


def test_a_dropped_connection_is_logged_as_outcome_unknown(tmp_path):
    log = AuditLog(tmp_path / "audit.jsonl")

    def drop(call):
        raise ConnectionFailed("fx: connection reset")
    host = FunctionHost(drop, name="fx", audit=log)
    with pytest.raises(ConnectionFailed):
        host.run(["lvextend", "-l", "10", "vg/lv"])
    with pytest.raises(ConnectionFailed):
        host.run(["lvs"], read_only=True)
    started, ended, read = log.entries()
    assert started["phase"] == "started" and ended["phase"] == "ended"
    assert ended["outcome"] == LOST and ended["exit_status"] is None
    assert "connection reset" in ended["error"]
    assert read["outcome"] == LOST and "phase" not in read      # a read: its one line


@pytest.fixture
def lab(tmp_path, monkeypatch):
    monkeypatch.setenv("FXKIT_LAB_DIR", str(tmp_path / "lab"))
    from fxkit.lab import reset
    reset("fx")
    host = LabHost("lab", audit=AuditLog(tmp_path / "audit.jsonl"))
    return host


def _web_root(host) -> int:
    return read_lvm_facts(host).lvm.lv("lvm/web-root").size_bytes // 2**30


def _drop(after: int, *, run: bool) -> None:
    with LabStore("fx").transaction() as state:
        faults.drop_after(state, after, run=run)


def test_an_apply_whose_connection_drops_after_the_change_says_so(lab):
    plan = plan_lv_extend(read_lvm_facts(lab), "lvm/web-root", "+1G")
    # the apply runs: mkdir (the host lock), lvs (the step's re-check), then lvextend
    _drop(2, run=True)
    with pytest.raises(ApplyFailed) as e:
        plan.apply(lab)
    assert e.value.unknown and e.value.reread == REREAD_DONE
    assert "Whether it took effect is unknown" in str(e.value)
    assert _web_root(lab) == 11
    lvextend = [x for x in lab.audit.entries() if x["argv"][0] == "lvextend"]
    assert [x["phase"] for x in lvextend] == ["started", "ended"]
    assert lvextend[1]["outcome"] == LOST
    assert current_owner(lab) is None                       # the lock was released
    again = plan.apply(lab)                                 # the same plan: nothing twice
    assert not again.ran and _web_root(lab) == 11


def test_a_drop_before_the_change_re_reads_it_as_not_done(lab):
    plan = plan_lv_extend(read_lvm_facts(lab), "lvm/web-root", "+1G")
    _drop(2, run=False)
    with pytest.raises(ApplyFailed) as e:
        plan.apply(lab)
    assert e.value.unknown and "not in place" in e.value.reread
    assert _web_root(lab) == 10


def test_a_lock_that_cannot_be_released_after_the_change_is_not_nothing_changed(lab):
    plan = plan_lv_extend(read_lvm_facts(lab), "lvm/web-root", "+1G")
    # mkdir, lvs, lvextend, then the verifying re-read, then rm -rf of the lock: counted
    before = len(lab.audit.lines())
    plan.apply(lab)
    ran = [x["argv"][0] for x in lab.audit.lines()[before:]]
    assert ran[-1] == "rm" and ran[2] == "lvextend"
    from fxkit.lab import reset
    reset("fx")
    plan = plan_lv_extend(read_lvm_facts(lab), "lvm/web-root", "+1G")
    _drop(len(ran) - 1, run=False)
    with pytest.raises(ApplyFailed) as e:
        plan.apply(lab)
    assert e.value.step is None and [s.description for s in e.value.done] == \
        [plan.steps[0].description]
    assert "1 step(s) applied and verified, but releasing the host lock failed" in str(e.value)
    assert "fxkit runs unlock lab" in str(e.value)
    assert current_owner(lab) is not None and _web_root(lab) == 11


def test_the_runbook_tail_reports_outcome_unknown_and_changed(lab, monkeypatch):
    from fxkit.runbook import apply as tail
    shown: list[dict] = []
    monkeypatch.setattr(tail, "show", lambda bundle: shown.append(bundle))
    plan = plan_lv_extend(read_lvm_facts(lab), "lvm/web-root", "+1G")
    _drop(2, run=True)
    with pytest.raises(ApplyFailed):
        tail.apply_plan(lab, plan, apply=True, runbook="lv-extend")
    outcome = shown[-1][tail.OUTCOME_MIME]
    assert outcome["status"] == "failed" and outcome["changed"] is True
    assert outcome["changes"] == ["lvextend -l 2816 lvm/web-root"]
    assert outcome["unknown"]["command"] == "lvextend -l 2816 lvm/web-root"
    assert outcome["unknown"]["reread"] == REREAD_DONE
    text = shown[-1]["text/plain"]
    assert text.startswith("FAILED: outcome unknown, changed.") and "nothing changed" not in text
