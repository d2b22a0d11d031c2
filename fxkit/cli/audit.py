"""``fxkit audit``: read and verify the hash-chained audit log."""

from __future__ import annotations

import sys

import click

from fxkit import audit as audit_log


@click.group()
def audit() -> None:
    """Read and verify the audit log of every command fxkit ran."""


@audit.command()
@click.option("--log", "path", type=click.Path(dir_okay=False), default=None,
              help="Audit log file (default: $FXKIT_AUDIT_LOG, "
                   "else ~/.local/state/fxkit/audit.jsonl).")
def verify(path: str | None) -> None:
    """Check that no line was removed, reordered or edited."""
    p = path or str(audit_log.default_path())
    try:
        problems = audit_log.verify(p)
    except FileNotFoundError:
        raise click.ClickException(f"no audit log at {p}: nothing has been run yet") from None
    if problems:
        for problem in problems:
            click.echo(f"{p}: {problem}", err=True)
        sys.exit(1)
    n = len(audit_log.AuditLog(p).lines())
    click.echo(f"{p}: {n} lines, chain intact")


@audit.command()
@click.option("--log", "path", type=click.Path(dir_okay=False), default=None)
@click.option("-n", "--lines", default=20, show_default=True, help="How many recent lines.")
@click.option("--host", default=None, help="Only commands run on this host.")
def tail(path: str | None, lines: int, host: str | None) -> None:
    """Show the most recent commands."""
    entries = audit_log.AuditLog(path).lines()
    if host:
        entries = [e for e in entries if e.get("host") == host]
    for e in entries[-lines:]:
        click.echo(f"{e['time']}  {e['host']:<12} {e['exit_status']:>3}  {' '.join(e['argv'])}")
