"""How `fxkit run` and `fxkit runs resume` end: the run's outcome, where it is, the exit status."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, NoReturn

import click

from fxkit.cli import exits, jsonout
from fxkit.runbook.records import RESUMABLE

if TYPE_CHECKING:
    from fxkit.runbook.records import RunRecord


def report_run(rec: RunRecord, *, as_json: bool, quiet: bool,
               resuming: str | None = None) -> NoReturn:
    """Print ``rec``'s outcome (one JSON document with ``as_json``) and exit with its status.

    ``resuming`` is the id of the run a resume continued."""
    code = exits.for_record(rec)
    if as_json:
        jsonout.echo(jsonout.run_doc(rec, code))
        sys.exit(code)
    changed = "changed" if rec.changed else "nothing changed"
    after = f", resuming {resuming}" if resuming else ""
    click.echo(f"{rec.status}: {rec.runbook} on {rec.host} ({changed}){after}")
    if reason := rec.outcome.get("reason"):
        click.echo(f"  {reason}")
    if rec.error and rec.status != "interrupted":
        evalue = (str(rec.error.get("evalue") or "").splitlines() or [""])[0]
        click.secho(f"  cell {rec.error.get('cell')} raised {rec.error.get('ename')}: "
                    f"{evalue}", fg="red", err=True)
    if not quiet:
        if rec.notebook:
            click.echo(f"notebook: {rec.notebook}")
        click.echo(f"record:   {rec.record_path}")
        click.echo(f"show it:  fxkit runs show {rec.id}")
    if rec.status in RESUMABLE and rec.target is not None and code != exits.REFUSED:
        click.echo(f"resume:   fxkit runs resume {rec.id}   (dry-run; then --apply)")
    sys.exit(code)
