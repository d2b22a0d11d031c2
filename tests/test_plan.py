"""Plans: shown before applied, confirmed by name, re-checked, stopping at the first failure."""

import pytest

from fxkit.audit import AuditLog
from fxkit.errors import ApplyFailed, ConfirmationRequired, PreconditionFailed
from fxkit.plan import FileWrite, Plan, Step, keeps_facts
from fxkit.transports.local import LocalHost


@pytest.fixture
def host(tmp_path):
    return LocalHost(audit=AuditLog(tmp_path / "audit.jsonl"))


def test_text_and_html_rendering():
    plan = Plan("Grow a volume", [
        Step("Extend lvm/web-root by 1 GiB", ("lvextend", "-L", "+1G", "lvm/web-root")),
        Step("Remove lvm/old", ("lvremove", "-f", "lvm/old"), destroys="lvm/old"),
    ], warnings=["web is running"])
    text = str(plan)
    assert text.splitlines()[0] == "Plan: Grow a volume"
    assert "lvextend -L +1G lvm/web-root" in text
    assert "DESTROYS lvm/old" in text and "warning: web is running" in text
    html = plan._repr_html_()
    assert "<table>" in html and "<code>lvremove -f lvm/old</code>" in html


def test_empty_plan_says_why(host):
    plan = Plan("Create lvm/x", reason="lvm/x already exists with 1 GiB")
    assert "nothing to do: lvm/x already exists" in str(plan)
    outcome = plan.apply(host)
    assert not outcome.changed and "already exists" in str(outcome)


def test_steps_run_in_order(host, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    plan = Plan("Touch two files", [Step("touch a", ("touch", str(a))),
                                    Step("write b", write=FileWrite(str(b), "hi\n"))])
    outcome = plan.apply(host)
    assert outcome.changed and len(outcome.ran) == 2
    assert a.exists() and b.read_text() == "hi\n"


def test_destructive_step_needs_named_confirmation_before_anything_runs(host, tmp_path):
    first = tmp_path / "first"
    plan = Plan("Replace", [Step("touch", ("touch", str(first))),
                            Step("remove it", ("rm", str(first)), destroys="file/first")])
    with pytest.raises(ConfirmationRequired, match="confirm='file/first'") as e:
        plan.apply(host)
    assert e.value.needed == ["file/first"] and not first.exists()
    with pytest.raises(ConfirmationRequired):
        plan.apply(host, confirm="file/other")
    assert plan.apply(host, confirm="file/first").changed


def test_stops_at_first_failure_and_says_what_ran(host, tmp_path):
    after = tmp_path / "after"
    plan = Plan("Chain", [Step("ok", ("true",)), Step("breaks", ("false",)),
                          Step("never", ("touch", str(after)))])
    with pytest.raises(ApplyFailed) as e:
        plan.apply(host)
    assert "step 2 (breaks) failed" in str(e.value) and "Already done: ok" in str(e.value)
    assert [s.description for s in e.value.done] == ["ok"] and not after.exists()


def test_needed_is_rechecked_right_before_each_step(host, tmp_path):
    target = tmp_path / "t"
    plan = Plan("Idempotent", [
        Step("create t", ("touch", str(target)), needed=lambda h: not target.exists()),
        Step("create t again", ("touch", str(target)), needed=lambda h: not target.exists()),
    ])
    outcome = plan.apply(host)
    assert len(outcome.ran) == 1 and len(outcome.skipped) == 1


def test_replan_verifies_the_result(host):
    plan = Plan("Lies", [Step("noop", ("true",))],
                replan=lambda h: Plan("Lies", [Step("still to do", ("true",))]))
    with pytest.raises(PreconditionFailed, match="still differs: still to do"):
        plan.apply(host)


def test_the_verifying_read_is_the_outcomes_after(host, tmp_path):
    """A planner marked ``keeps_facts`` puts its facts on each plan; after an apply, the
    facts its replan read (after the last step) are ``Outcome.after``."""
    marker = tmp_path / "made"
    reads: list[bool] = []

    def read(h) -> dict:
        reads.append(True)
        return {"made": h.run(["test", "-e", str(marker)], check=False).ok}

    @keeps_facts
    def plan_make(facts: dict) -> Plan:
        steps = [] if facts["made"] else [Step("make it", ("touch", str(marker)))]
        return Plan("Make it", steps, reason="made", replan=lambda h: plan_make(read(h)))

    plan = plan_make(read(host))
    assert plan.facts == {"made": False}
    outcome = plan.apply(host)
    assert outcome.changed and outcome.after == {"made": True} and len(reads) == 2
    assert Plan("No replan", [Step("noop", ("true",))]).apply(host).after is None


def test_progress_callback_sees_every_step(host):
    seen = []
    Plan("p", [Step("one", ("true",)), Step("two", ("true",))]).apply(
        host, progress=lambda n, total, step: seen.append((n, total, step.description)))
    assert seen == [(1, 2, "one"), (2, 2, "two")]


def test_step_needs_exactly_one_action():
    with pytest.raises(ValueError):
        Step("nothing")


def test_settled_is_polled_until_the_host_has_finished(host, tmp_path):
    polls = []

    def settled(h) -> bool:              # "the domain has left xl list" on the third look
        polls.append(1)
        return len(polls) >= 3
    plan = Plan("Settle", [Step("Touch, then wait", ("touch", str(tmp_path / "a")),
                                settled=settled)])
    assert plan.apply(host).ran and len(polls) == 3 and (tmp_path / "a").exists()


def test_a_host_that_never_settles_fails_the_step_naming_the_command(host, tmp_path):
    step = Step("Touch, then wait for nothing", ("touch", str(tmp_path / "b")),
                settled=lambda h: False, settle_seconds=0.6)
    with pytest.raises(ApplyFailed, match=r"`touch .*b` succeeded, but the host had not "
                                          r"finished the change 1 s later"):
        Plan("Never", [step]).apply(host)


def test_facts_after_reads_again_only_when_it_must():
    from fxkit.runbook import Reported, facts_after
    reads: list[str] = []

    def read(host: str) -> str:
        reads.append(host)
        return "read now"
    unchanged = Reported({"changed": False}, after="verified")
    assert facts_after(unchanged, "before", read, "fx") == "before"      # nothing changed
    changed = Reported({"changed": True}, after="verified")
    assert facts_after(changed, "before", read, "fx") == "verified" and reads == []
    changed = Reported({"changed": True})        # a planner that keeps no facts
    assert facts_after(changed, "before", read, "fx") == "read now" and reads == ["fx"]
