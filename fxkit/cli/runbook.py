"""``fxkit run`` (execute a runbook with papermill) and ``fxkit runs`` (list, show, verify runs)."""

from __future__ import annotations

import sys

import click

from fxkit.runbook.records import find_run, list_runs, verify_run


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("runbook")
@click.option("-p", "--parameter", "params", nargs=2, multiple=True, metavar="NAME VALUE",
              help="A runbook parameter (repeatable), e.g. -p lv scratch -p size 1G.")
@click.option("--host", default="lab", show_default=True,
              help="Target: lab, lab:fourier, local, an ssh_config alias, ssh://user@host:port.")
@click.option("--apply", is_flag=True, help="Make the change (default: dry-run).")
@click.option("--confirm", default=None, metavar="NAME",
              help="Name of what a destructive runbook destroys (e.g. lvm/scratch).")
@click.option("--runs-dir", default="runs", show_default=True, type=click.Path(file_okay=False))
def run(runbook: str, params: tuple[tuple[str, str], ...], host: str, apply: bool,
        confirm: str | None, runs_dir: str) -> None:
    """Run RUNBOOK (a name from runbooks/ or a path) against a host, and record it.

    Parameters are checked before anything starts. The executed notebook and its
    JSON record are written under runs/DATE/; exit status 1 if the run failed.
    """
    from fxkit.runbook.runner import run_runbook

    given: dict[str, str] = {}
    for name, value in params:
        if name in ("host", "apply", "confirm"):
            raise click.UsageError(f"use --{name} rather than -p {name}")
        given[name] = value
    rec = run_runbook(runbook, given, host=host, apply=apply, confirm=confirm,
                      runs_dir=runs_dir)
    click.echo(f"{rec.status}: {rec.runbook} on {rec.host} "
               f"({'changed' if rec.changed else 'nothing changed'})")
    if reason := rec.outcome.get("reason"):
        click.echo(f"  {reason}")
    if rec.error:
        click.secho(f"  cell {rec.error.get('cell')} raised {rec.error.get('ename')}: "
                    f"{_first_line(rec.error.get('evalue'))}", fg="red", err=True)
    click.echo(f"notebook: {rec.notebook}")
    click.echo(f"record:   {rec.record_path}")
    click.echo(f"show it:  fxkit runs show {rec.id}")
    if not rec.ok:
        sys.exit(1)


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--host", default=None, help="Only runs on this host.")
@click.option("--runbook", default=None, help="Only runs of this runbook.")
@click.option("--status", type=click.Choice(["succeeded", "failed", "running"]), default=None)
@click.option("--runs-dir", default="runs", show_default=True, type=click.Path(file_okay=False))
@click.pass_context
def runs(ctx: click.Context, host: str | None, runbook: str | None, status: str | None,
         runs_dir: str) -> None:
    """List past runbook runs (newest last); `runs show ID`, `runs verify ID`."""
    ctx.obj = {"runs_dir": runs_dir}
    if ctx.invoked_subcommand is not None:
        return
    records = list_runs(runs_dir, host=host, runbook=runbook, status=status)
    if not records:
        click.echo(f"no runs under {runs_dir}/")
        return
    for r in records:
        click.echo(f"{r.id:<44} {r.status:<10} {'changed' if r.changed else '-':<8} "
                   f"{r.host:<12} {r.operator}")


@runs.command()
@click.argument("run_id")
@click.option("--all", "all_commands", is_flag=True, help="List every command, reads included.")
@click.pass_context
def show(ctx: click.Context, run_id: str, all_commands: bool) -> None:
    """Summarise one run: who, when, parameters, outcome, changes, files."""
    click.echo(find_run(ctx.obj["runs_dir"], run_id).summary(all_commands))


@runs.command()
@click.argument("run_id")
@click.option("--log", "audit_path", default=None, type=click.Path(dir_okay=False),
              help="Audit log to check the recorded commands against (default: the run's).")
@click.pass_context
def verify(ctx: click.Context, run_id: str, audit_path: str | None) -> None:
    """Check a run's notebook sha256 and that its audit lines are still in the log."""
    rec = find_run(ctx.obj["runs_dir"], run_id)
    problems = verify_run(rec, audit_path)
    if problems:
        for p in problems:
            click.secho(f"{rec.id}: {p}", fg="red", err=True)
        sys.exit(1)
    click.echo(f"{rec.id}: notebook sha256 {rec.notebook_sha256[:16]}... matches; "
               f"{len(rec.audit_lines)} audit line(s) intact")


@runs.command()
@click.argument("host")
@click.option("--yes", is_flag=True, help="Do not ask; I checked that the holder's run is gone.")
def unlock(host: str, yes: bool) -> None:
    """Remove a stale apply lock on HOST (left by a run that died)."""
    from fxkit.connect import connect
    from fxkit.hostlock import break_lock, current_owner

    with connect(host) as h:
        holder = current_owner(h)
        if holder is None:
            click.echo(f"{host}: not locked")
            return
        click.echo(f"{host}: locked by {holder.describe()}")
        if not yes:
            click.confirm("Is that run really gone? Remove the lock", abort=True)
        break_lock(h)
        click.echo(f"{host}: lock removed")


def _first_line(text: object) -> str:
    lines = str(text or "").splitlines()
    return lines[0] if lines else ""
