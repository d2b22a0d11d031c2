"""The tail of every runbook: the dry-run report, or lock, apply and report; the outcome.

    >>> apply_plan(fx, plan, apply=apply, confirm=confirm, runbook="lv-extend")  # doctest: +SKIP

Dry-run shows the plan and reports "nothing changed"; with ``apply=True`` it notes
the run's absolute target in its record (relative sizes as the plan resolved them,
``targets``), applies under the host lock (``Plan.apply`` takes it; the lock names this
run) with a progress line per step and reports what changed. A step whose connection
was lost is reported as "outcome unknown" with what the host said when re-read, never
as "nothing changed"; a failed or stopped run points to ``fxkit runs resume``. The
outcome is displayed with the ``OUTCOME_MIME`` type, so the runner (or anyone reading
the executed notebook) finds it there. Output is deterministic: no times, no pids.
Under ``fxkit run`` each step's start and end also go to the runner as live events
(``events``), and a stop request ends the apply before its next step, lock released.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from fxkit.display import show
from fxkit.errors import ApplyFailed, FxkitError
from fxkit.hostlock import HostLock
from fxkit.plan import REREAD_NOT_DONE
from fxkit.reread import why_unknown
from fxkit.runbook import check, journal, targets
from fxkit.runbook.events import RECORD_ENV, RUN_ENV, RunInterrupted, emit, stop_requested
from fxkit.runbook.notes import note_target
from fxkit.secrets import mask

if TYPE_CHECKING:
    from fxkit.host import Host
    from fxkit.plan import Plan, Step

OUTCOME_MIME = "application/vnd.fxkit.outcome+json"


def progress(n: int, total: int, step: Step) -> None:
    """``Plan.apply(progress=...)``: one text bar line per finished step (deterministic)."""
    width = 20
    filled = round(width * n / total) if total else width
    print(f"[{'#' * filled}{'.' * (width - filled)}] {n}/{total}  {mask(step.description)}",
          flush=True)


def report_outcome(status: str, changed: bool, reason: str, *, runbook: str = "",
                   host: Host | None = None, steps: Sequence[str] = (),
                   skipped: Sequence[str] = (), **extra: Any) -> dict[str, Any]:
    """Show the outcome and leave it in the notebook for the runner; returns it.

    ``status``: "dry-run", "succeeded", "failed" or "interrupted"; ``reason`` says why in
    one sentence.
    """
    outcome = {"status": status, "changed": bool(changed), "reason": mask(reason),
               "runbook": runbook, "host": getattr(host, "name", None),
               "host_names": [host.name] if host is not None else [],
               "steps": [mask(s) for s in steps], "skipped": [mask(s) for s in skipped],
               **extra}
    mark = {"dry-run": "Dry run", "succeeded": "Done", "failed": "FAILED",
            "interrupted": "INTERRUPTED"}.get(status, status)
    lines = [f"{mark}: {_changed(outcome)}. {outcome['reason']}"]
    lines += [f"  ran: {s}" for s in outcome["steps"]]
    lines += [f"  skipped (already done): {s}" for s in outcome["skipped"]]
    text = "\n".join(lines)
    show({"text/plain": text, "text/markdown": _markdown(mark, changed, outcome),
          OUTCOME_MIME: outcome})
    if (run := journal.active()) is not None:
        run.outcome(outcome)
    return outcome


def _changed(outcome: dict[str, Any]) -> str:
    if outcome.get("unknown"):
        return "outcome unknown" + (", changed" if outcome["changed"] else "")
    return "changed" if outcome["changed"] else "nothing changed"


def _markdown(mark: str, changed: bool, outcome: dict[str, Any]) -> str:
    md = [f"**{mark}: {_changed(outcome)}.** {outcome['reason']}"]
    md += [f"- ran: {s}" for s in outcome["steps"]]
    md += [f"- skipped (already done): {s}" for s in outcome["skipped"]]
    return "\n".join(md)


class _Tracker:
    """Follows a plan's apply step by step: live events, and the stop between two steps.

    ``Plan.apply`` reports a step when it has ended; its start is when the step's
    ``needed`` check is called, so each step gets a ``needed`` that says so first.
    """

    def __init__(self, plan: Plan) -> None:
        self.total = len(plan.steps)
        self.started = 0.0
        self.current = 0
        self.skipped: set[int] = set()
        self.done: list[Step] = []
        self.plan = dataclasses.replace(plan, steps=tuple(
            dataclasses.replace(s, needed=self._needed(n, s))
            for n, s in enumerate(plan.steps, 1)))

    def _needed(self, n: int, step: Step) -> Any:
        original = step.needed

        def needed(host: Host) -> bool:
            if self.current != n:   # not a re-read after a lost connection: the step starts
                self.current, self.started = n, time.monotonic()
                emit("step_start", n=n, total=self.total, sentence=mask(step.description),
                     command=step.command, settles=step.settled is not None,
                     timeout=step.timeout, settle_seconds=step.settle_seconds)
            if original is None or original(host):
                return True
            self.skipped.add(n)
            return False
        return needed

    def finished(self, n: int, total: int, step: Step) -> None:
        """``Plan.apply``'s progress callback: step ``n`` has ended."""
        outcome = "skipped" if n in self.skipped else "ran"
        if outcome == "ran":
            self.done.append(step)
        emit("step_end", n=n, total=total, outcome=outcome, seconds=self.elapsed())
        progress(n, total, step)
        if n < total and stop_requested():
            left = [s.description for s in self.plan.steps[n:]]
            raise RunInterrupted(f"stopped by the operator after step {n}/{total}; not run: "
                                 + "; ".join(left))

    def elapsed(self) -> float:
        return round(time.monotonic() - self.started, 3) if self.started else 0.0

    def not_run(self) -> list[str]:
        """The steps after the current one (which is done, skipped or stopped)."""
        return [s.description for s in self.plan.steps[self.current:]]


class Reported(dict):  # type: ignore[type-arg]
    """``apply_plan``'s outcome: the dict shown and recorded, and ``after``, the facts the
    apply's verification read under the lock once the steps had run (None when nothing
    ran, or the plan's planner keeps no facts). ``facts_after`` is how runbooks use it."""

    def __init__(self, report: Mapping[str, Any], after: Any = None) -> None:
        super().__init__(report)
        self.after = after


def facts_after(outcome: Mapping[str, Any], before: Any, read: Callable[[Host], Any],
                host: Host) -> Any:
    """The host's facts after ``apply_plan``: ``before`` when nothing changed, else those
    its verification read, else ``read(host)``: the host is not read a third time."""
    if not outcome.get("changed"):
        return before
    after = getattr(outcome, "after", None)
    return after if after is not None else read(host)


def apply_plan(host: Host, plan: Plan, *, apply: bool = False,
               confirm: str | Iterable[str] | None = None, runbook: str = "") -> Reported:
    """The tail of every runbook: dry-run report, or lock + apply + report. Re-raises failures.

    ``confirm`` names what the plan destroys (``Plan.confirmation()`` says which name);
    ``Plan.apply`` checks it before anything runs. The report carries the verification's
    facts as ``.after`` (``Reported``).
    """
    if not apply:
        if plan.empty:
            why = plan.reason or "the host already matches"
            return Reported(report_outcome("dry-run", False, f"Nothing to do: {why}.",
                                           runbook=runbook, host=host))
        need, name = plan.destroys(), plan.confirmation()
        extra = (f" Applying destroys {', '.join(need)}: it needs confirm={name!r} "
                 f"(CLI: --confirm {name})." if need else "")
        return Reported(report_outcome(
            "dry-run", False, f"{len(plan.steps)} step(s) planned, none applied. Run again "
            f"with apply=True (CLI: --apply) to make the change.{extra}", runbook=runbook,
            host=host))
    if plan.empty:
        why = plan.reason or "the host already matches"
        return Reported(report_outcome("succeeded", False, f"Nothing to do: {why}.",
                                       runbook=runbook, host=host))
    tracker = _Tracker(plan)
    target = _note_target(plan)
    emit("apply", title=mask(plan.title), total=tracker.total, host=host.name,
         steps=[{"n": n, "sentence": mask(s.description), "command": s.command}
                for n, s in enumerate(plan.steps, 1)])
    status = "failed"
    try:
        if stop_requested():
            raise RunInterrupted("stopped by the operator before the first step")
        outcome = tracker.plan.apply(host, confirm=confirm or None, progress=tracker.finished,
                                     lock=HostLock(host, runbook=runbook, run_id=run_id()))
        status = "succeeded"
    except ApplyFailed as e:
        _failed(host, tracker, runbook, e, target)
        raise
    except (RunInterrupted, KeyboardInterrupt) as e:
        status = "interrupted"
        _interrupted(host, tracker, runbook, e, target)
        if isinstance(e, KeyboardInterrupt):
            raise RunInterrupted(f"{runbook}: stopped by the operator during step "
                                 f"{tracker.current}/{tracker.total}") from None
        raise
    except FxkitError as e:
        report_outcome("failed", False, mask(str(e)).splitlines()[0], runbook=runbook,
                       host=host, cause=type(e).__name__, **_target(target))
        raise
    finally:
        emit("applied", status=status)
    ran = [s.description for s, _ in outcome.ran]
    skipped = [s.description for s, _ in outcome.skipped]
    why = (f"{len(ran)} step(s) applied and verified." if ran
           else "Every step was already done (re-checked before running).")
    return Reported(report_outcome("succeeded", bool(ran), why, runbook=runbook, host=host,
                                   steps=ran, skipped=skipped,
                                   changes=[s.command for s, _ in outcome.ran],
                                   **_target(target)), after=outcome.after)


def run_id() -> str:
    """The id of the run this kernel belongs to (``fxkit run``'s, or its own record's)."""
    if rid := os.environ.get(RUN_ENV):
        return rid
    run = journal.active()
    return run.rec.id if run is not None else ""


def resume_hint() -> str:
    """How to continue this run, for a failure or stop message."""
    rid = run_id()
    if not rid:
        return "Run the runbook again (dry-run first): steps already done are skipped."
    return (f"Resume it with `fxkit runs resume {rid}` (a dry-run; then --apply): it "
            "continues toward the same target, and steps already done are skipped.")


def _note_target(plan: Plan) -> dict[str, str]:
    """Resolve the run's relative sizes from ``plan`` and note them in its record now,
    before any step: a run that dies during its apply still says where it was going."""
    checked = check.last_checked()
    target = targets.resolve(plan, checked.values if checked else {})
    if (path := os.environ.get(RECORD_ENV)) and os.environ.get(RUN_ENV):
        try:
            note_target(path, target)
        except (OSError, ValueError, TypeError):
            pass   # the outcome carries it too; the runner records it from there
    elif (run := journal.active()) is not None:
        run.note_target(target)
    return target


def _target(target: dict[str, str]) -> dict[str, Any]:
    return {"target": target} if target else {}


def _failed(host: Host, tracker: _Tracker, runbook: str, e: ApplyFailed,
            target: dict[str, str]) -> None:
    """Report a failed apply: what ran, and for a lost connection what the host says now."""
    step = e.step
    first = (mask(str(e.cause)).splitlines() or [""])[0]
    emit("step_end", n=tracker.current, total=tracker.total,
         outcome="unknown" if e.unknown else "failed", seconds=tracker.elapsed(), error=first)
    done = [s.description for s in e.done]
    changes = [s.command for s in e.done]
    extra: dict[str, Any] = {}
    if e.unknown and step is not None:
        in_place = e.reread != REREAD_NOT_DONE
        extra["unknown"] = {"step": mask(step.description), "command": step.command,
                            "reread": e.reread, "error": first}
        if in_place:
            changes.append(step.command)
        why = (f"During step {tracker.current}/{tracker.total} ({step.description}) "
               f"{why_unknown(e.cause)}: whether `{step.command}` took effect is unknown; "
               f"{e.reread}.")
        changed = bool(done) or in_place
    elif step is None:   # every step ran; releasing the lock failed
        why, changed = mask(str(e)).splitlines()[0], bool(done)
    else:
        why = f"Step {step.description!r} failed."
        changed = bool(done)
    report_outcome("failed", changed, f"{why} {resume_hint()}", runbook=runbook, host=host,
                   steps=done, changes=changes, error=mask(str(e.cause)),
                   cause=type(e.cause).__name__, **extra, **_target(target))


def _interrupted(host: Host, tracker: _Tracker, runbook: str, why: BaseException,
                 target: dict[str, str]) -> None:
    """Report a run the operator stopped: what ran, what did not; the lock is released."""
    n, total = tracker.current, tracker.total
    during = isinstance(why, KeyboardInterrupt) and n and (n not in tracker.skipped)
    if during:
        emit("step_end", n=n, total=total, outcome="stopped", seconds=tracker.elapsed())
        where = (f"Step {n}/{total} was stopped while running: it may or may not have taken "
                 "effect.")
    else:
        where = f"Stopped after step {n}/{total}." if n else "Stopped before the first step."
    done = [s.description for s in tracker.done]
    report_outcome("interrupted", bool(done), f"{where} {resume_hint()}", runbook=runbook,
                   host=host, steps=done, changes=[s.command for s in tracker.done],
                   not_run=tracker.not_run(), **_target(target))
