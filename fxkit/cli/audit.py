"""``fxkit audit``: read and verify the hash-chained, anchored audit log."""

from __future__ import annotations

import os
import sys

import click

from fxkit import audit as audit_log

LOG = click.option("--log", "path", type=click.Path(dir_okay=False), default=None,
                   help="Audit log file (default: $FXKIT_AUDIT_LOG, "
                        "else ~/.local/state/fxkit/audit.jsonl).")


@click.group()
def audit() -> None:
    """Read and verify the audit log of every command fxkit ran."""


@audit.command()
@LOG
@click.option("--runs-dir", default=lambda: os.environ.get("FXKIT_RUNS_DIR") or "runs",
              show_default="$FXKIT_RUNS_DIR, else runs", type=click.Path(file_okay=False),
              help="Run records whose anchors (the log's head when each was sealed) to check.")
def verify(path: str | None, runs_dir: str) -> None:
    """Check the chain, and its head against the anchors kept outside the log.

    Finds a line removed, reordered or edited; lines removed at the end (truncation);
    lines appended or the whole chain rewritten behind fxkit's back, against the anchor
    file beside the log and the head each run record under --runs-dir keeps; and any
    line that is not a JSON object. Exit status 1 when anything is found.
    """
    from fxkit.runbook.records import heads_of, list_runs

    p = path or str(audit_log.default_path())
    heads = heads_of(list_runs(runs_dir), p) if os.path.isdir(runs_dir) else []
    try:
        problems = audit_log.verify(p, heads)
    except FileNotFoundError:
        raise click.ClickException(f"no audit log at {p}: nothing has been run yet") from None
    if problems:
        for problem in problems:
            click.echo(f"{p}: {problem}", err=True)
        sys.exit(1)
    n = len(audit_log.read_lines(p))
    click.echo(f"{p}: {n} lines, chain intact; head anchored (anchor file, "
               f"{len(heads)} run record(s))")


@audit.command()
@LOG
@click.option("-n", "--lines", default=20, show_default=True, help="How many recent lines.")
@click.option("--host", default=None, help="Only commands run on this host.")
def tail(path: str | None, lines: int, host: str | None) -> None:
    """Show the most recent commands (a malformed line is shown as such)."""
    p = path or str(audit_log.default_path())
    try:
        rows = audit_log.read_lines(p)
    except FileNotFoundError:
        raise click.ClickException(f"no audit log at {p}: nothing has been run yet") from None
    shown = []
    for n, (_, entry, wrong) in enumerate(rows, start=1):
        if wrong:
            shown.append(f"line {n}: {wrong}")
        elif host is None or entry.get("host") == host:
            shown.append(_row(entry))
    for row in shown[-lines:]:
        click.echo(row)


def _row(e: dict[str, object]) -> str:
    argv = e.get("argv")
    words = " ".join(str(a) for a in argv) if isinstance(argv, list) else str(argv)
    status = e.get("exit_status")
    if e.get("phase") == "started":
        status = "..."
    elif status is None and e.get("outcome"):
        status = "?"
    line = f"{e.get('time', '?')}  {str(e.get('host', '?')):<12} {str(status):>3}  {words}"
    return line + (f"   ({e['outcome']})" if e.get("outcome") else "")
