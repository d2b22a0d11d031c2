"""What runbooks show: tables, a step progress bar, the apply-and-report tail, the outcome.

Every runbook ends the same way::

    >>> from fxkit.report import apply_plan
    >>> apply_plan(fx, plan, apply=apply, confirm=confirm, runbook="lv-extend")  # doctest: +SKIP

Dry-run shows the plan and reports "nothing changed"; with ``apply=True`` it takes
the host lock, applies with a progress bar and reports what changed. The outcome
is displayed with the ``OUTCOME_MIME`` type, so the runner (or anyone reading the
executed notebook) finds it there. Output is deterministic: no times, no pids.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from fxkit.errors import ApplyFailed, FxkitError
from fxkit.secrets import mask

if TYPE_CHECKING:
    from fxkit.host import Host
    from fxkit.plan import Plan, Step

OUTCOME_MIME = "application/vnd.fxkit.outcome+json"


def _display(bundle: dict[str, Any], raw: bool = True) -> None:
    try:
        from IPython.display import display
    except ImportError:  # plain Python: print the text form
        print(bundle.get("text/plain", ""))
        return
    display(bundle, raw=raw)


class Table:
    """Rows shown as an HTML table in a notebook and as aligned text elsewhere."""

    def __init__(self, rows: Iterable[Sequence[Any]], columns: Sequence[str],
                 title: str = "") -> None:
        self.columns = [str(c) for c in columns]
        self.rows = [["" if v is None else str(v) for v in row] for row in rows]
        self.title = title

    def __str__(self) -> str:
        widths = [max([len(c)] + [len(r[i]) for r in self.rows])
                  for i, c in enumerate(self.columns)]
        fmt = "  ".join(f"{{:<{w}}}" for w in widths)
        lines = ([self.title] if self.title else []) + [fmt.format(*self.columns).rstrip()]
        lines += [fmt.format(*r).rstrip() for r in self.rows]
        if not self.rows:
            lines.append("(none)")
        return mask("\n".join(lines))

    __repr__ = __str__

    def _repr_html_(self) -> str:
        e = html.escape
        head = "".join(f"<th>{e(c)}</th>" for c in self.columns)
        empty = f'<tr><td colspan="{len(self.columns)}">(none)</td></tr>'
        body = "".join("<tr>" + "".join(f"<td>{e(v)}</td>" for v in r) + "</tr>"
                       for r in self.rows) or empty
        title = f"<p><b>{e(self.title)}</b></p>" if self.title else ""
        return mask(f"{title}<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


def table(rows: Iterable[Sequence[Any]], columns: Sequence[str], title: str = "") -> Table:
    """A table to display (the last expression of a cell shows it)."""
    return Table(rows, columns, title)


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
    _display({"text/plain": text, "text/markdown": _markdown(mark, changed, outcome),
              OUTCOME_MIME: outcome})
    return outcome


def _markdown(mark: str, changed: bool, outcome: dict[str, Any]) -> str:
    md = [f"**{mark}: {'changed' if changed else 'nothing changed'}.** {outcome['reason']}"]
    md += [f"- ran: {s}" for s in outcome["steps"]]
    md += [f"- skipped (already done): {s}" for s in outcome["skipped"]]
    return "\n".join(md)


def apply_plan(host: Host, plan: Plan, *, apply: bool = False,
               confirm: str | Iterable[str] | None = None, confirm_name: str | None = None,
               runbook: str = "") -> dict[str, Any]:
    """The tail of every runbook: dry-run report, or lock + apply + report. Re-raises failures.

    ``confirm_name``: the one name the runbook's user confirms with (a domU's name for
    everything of that domU the plan destroys); ``confirm`` must then equal it.
    """
    from fxkit.hostlock import HostLock

    if not apply:
        if plan.empty:
            why = plan.reason or "the host already matches"
            return report_outcome("dry-run", False, f"Nothing to do: {why}.",
                                  runbook=runbook, host=host)
        need = plan.destroys()
        name = confirm_name or (need[0] if need else "")
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
    if confirm_name is not None and plan.destroys():
        if confirm != confirm_name:
            from fxkit.errors import ConfirmationRequired
            raise ConfirmationRequired(
                f"{plan.title}: this destroys {', '.join(plan.destroys())}. Nothing was run. "
                f"To go ahead, confirm by name: confirm={confirm_name!r} "
                f"(CLI: --confirm {confirm_name})", plan.destroys())
        confirm = plan.destroys()
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


class VgUsageChart:
    """Used and free space per VG: a bar chart (PNG) in a notebook, one line per VG as text."""

    def __init__(self, vgs: Iterable[Any]) -> None:
        # VG-like objects: name, and size and free in bytes (fxkit.lvm.VolumeGroup)
        self.vgs = [(v.name, int(_attr(v, "size", "size_bytes")), int(_attr(v, "free",
                                                                            "free_bytes")))
                    for v in vgs]

    def __repr__(self) -> str:
        gib = 1024 ** 3
        lines = [f"{n}: {(s - f) / gib:.2f} GiB used of {s / gib:.2f} GiB "
                 f"({100 * (s - f) / s if s else 0:.0f}%), {f / gib:.2f} GiB free"
                 for n, s, f in self.vgs]
        return "\n".join(lines) or "no volume groups"

    def _repr_png_(self) -> bytes:
        from matplotlib.figure import Figure
        fig = Figure(figsize=(8, 1.2 + 0.6 * max(len(self.vgs), 1)), dpi=80)
        ax = fig.add_subplot()
        gib = 1024 ** 3
        names = [n for n, _, _ in self.vgs]
        used = [(s - f) / gib for _, s, f in self.vgs]
        free = [f / gib for _, _, f in self.vgs]
        ax.barh(names, used, color="#c0504d", label="used")
        ax.barh(names, free, left=used, color="#9bbb59", label="free")
        for y, (u, f) in enumerate(zip(used, free, strict=True)):
            ax.text(u / 2, y, f"{u:.1f} GiB used", ha="center", va="center", color="white")
            ax.text(u + f / 2, y, f"{f:.1f} GiB free", ha="center", va="center")
        ax.set_xlabel("GiB")
        ax.set_title("Volume group usage")
        ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
        fig.tight_layout()
        return Picture(fig, "")._repr_png_()


def vg_usage_chart(vgs: Iterable[Any]) -> VgUsageChart:
    return VgUsageChart(vgs)


def _attr(obj: Any, *names: str) -> Any:
    for n in names:
        if hasattr(obj, n):
            return getattr(obj, n)
    raise AttributeError(f"{type(obj).__name__} has none of {', '.join(names)}")


class Picture:
    """A matplotlib figure shown as PNG in a notebook, with a text summary as its plain form."""

    def __init__(self, fig: Any, text: str) -> None:
        self.fig = fig
        self.text = text

    def __repr__(self) -> str:
        return self.text

    def _repr_png_(self) -> bytes:
        import io
        buf = io.BytesIO()
        self.fig.savefig(buf, format="png", metadata={"Software": None}, dpi=90)
        return buf.getvalue()


def picture(fig: Any, text: str) -> Picture:
    """Show ``fig`` (e.g. ``fxkit.viz.draw_topology(...)``) with ``text`` as its summary."""
    return Picture(fig, text)
