"""The tail of every runbook: the dry-run report, or lock, apply and report; the outcome.

    >>> apply_plan(fx, plan, apply=apply, confirm=confirm, runbook="lv-extend")  # doctest: +SKIP

Dry-run shows the plan and reports "nothing changed"; with ``apply=True`` it takes
the host lock, applies with a progress line per step and reports what changed. The
outcome is displayed with the ``OUTCOME_MIME`` type, so the runner (or anyone reading
the executed notebook) finds it there. Output is deterministic: no times, no pids.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from fxkit.display import show
from fxkit.errors import ApplyFailed, FxkitError
from fxkit.hostlock import HostLock
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

    ``status``: "dry-run", "succeeded" or "failed"; ``reason`` says why in one sentence.
    """
    outcome = {"status": status, "changed": bool(changed), "reason": mask(reason),
               "runbook": runbook, "host": getattr(host, "name", None),
               "host_names": [host.name] if host is not None else [],
               "steps": [mask(s) for s in steps], "skipped": [mask(s) for s in skipped],
               **extra}
    mark = {"dry-run": "Dry run", "succeeded": "Done", "failed": "FAILED"}.get(status, status)
    lines = [f"{mark}: {'changed' if changed else 'nothing changed'}. {outcome['reason']}"]
    lines += [f"  ran: {s}" for s in outcome["steps"]]
    lines += [f"  skipped (already done): {s}" for s in outcome["skipped"]]
    text = "\n".join(lines)
    show({"text/plain": text, "text/markdown": _markdown(mark, changed, outcome),
              OUTCOME_MIME: outcome})
    return outcome


def _markdown(mark: str, changed: bool, outcome: dict[str, Any]) -> str:
    md = [f"**{mark}: {'changed' if changed else 'nothing changed'}.** {outcome['reason']}"]
    md += [f"- ran: {s}" for s in outcome["steps"]]
    md += [f"- skipped (already done): {s}" for s in outcome["skipped"]]
    return "\n".join(md)


def apply_plan(host: Host, plan: Plan, *, apply: bool = False,
               confirm: str | Iterable[str] | None = None, runbook: str = "") -> dict[str, Any]:
    """The tail of every runbook: dry-run report, or lock + apply + report. Re-raises failures.

    ``confirm`` names what the plan destroys (``Plan.confirmation()`` says which name);
    ``Plan.apply`` checks it before anything runs.
    """
    if not apply:
        if plan.empty:
            why = plan.reason or "the host already matches"
            return report_outcome("dry-run", False, f"Nothing to do: {why}.",
                                  runbook=runbook, host=host)
        need, name = plan.destroys(), plan.confirmation()
        extra = (f" Applying destroys {', '.join(need)}: it needs confirm={name!r} "
                 f"(CLI: --confirm {name})." if need else "")
        return report_outcome(
            "dry-run", False, f"{len(plan.steps)} step(s) planned, none applied. Run again "
            f"with apply=True (CLI: --apply) to make the change.{extra}", runbook=runbook,
            host=host)
    if plan.empty:
        why = plan.reason or "the host already matches"
        return report_outcome("succeeded", False, f"Nothing to do: {why}.",
                              runbook=runbook, host=host)
    with HostLock(host, runbook=runbook):
        try:
            outcome = plan.apply(host, confirm=confirm or None, progress=progress)
        except ApplyFailed as e:
            done = [s.description for s in e.done]
            report_outcome("failed", bool(done), f"Step {getattr(e.step, 'description', '?')!r} "
                           f"failed; run the runbook again once fixed (done steps are skipped).",
                           runbook=runbook, host=host, steps=done,
                           changes=[s.command for s in e.done], error=mask(str(e.cause)))
            raise
        except FxkitError as e:
            report_outcome("failed", False, mask(str(e)).splitlines()[0], runbook=runbook,
                           host=host)
            raise
    ran = [s.description for s, _ in outcome.ran]
    skipped = [s.description for s, _ in outcome.skipped]
    why = (f"{len(ran)} step(s) applied and verified." if ran
           else "Every step was already done (re-checked before running).")
    return report_outcome("succeeded", bool(ran), why, runbook=runbook, host=host,
                          steps=ran, skipped=skipped,
                          changes=[s.command for s, _ in outcome.ran])
