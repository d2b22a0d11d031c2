"""``fxkit run`` (execute a runbook with papermill) and ``fxkit runs`` (list, show, verify runs)."""

from __future__ import annotations

import contextlib
import os
import sys
from typing import TYPE_CHECKING

import click

from fxkit.cli import exits, jsonout
from fxkit.cli.hostopts import FleetOptions, HostOptions, fleet_options, host_options
from fxkit.cli.jsonout import JSON_OPTION as JSON
from fxkit.cli.resume import resume
from fxkit.cli.runreport import report_run
from fxkit.errors import FxkitError
from fxkit.runbook.records import find_run, heads_of, list_runs, verify_run

if TYPE_CHECKING:
    from fxkit.runbook.warm import WarmKernel

RUNS_DIR = click.option("--runs-dir", default=lambda: os.environ.get("FXKIT_RUNS_DIR") or "runs",
                        show_default="$FXKIT_RUNS_DIR, else runs", type=click.Path(file_okay=False),
                        help="Where runs are recorded.")


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("runbook")
@click.option("-p", "--parameter", "params", nargs=2, multiple=True, metavar="NAME VALUE",
              help="A runbook parameter (repeatable), e.g. -p lv scratch -p size 1G.")
@click.option("--host", default=None, show_default="lab",
              help="Target: lab, lab:fourier, local, an ssh_config alias, ssh://user@host:port; "
                   "with -i, a host pattern of the inventory (default: all its hosts).")
@click.option("--apply", is_flag=True, help="Make the change (default: dry-run).")
@click.option("--confirm", default=None, metavar="NAME",
              help="Name of what a destructive runbook destroys (e.g. lvm/scratch).")
@host_options
@fleet_options
@RUNS_DIR
@click.option("-v", "--verbose", is_flag=True, help="Also show each cell and every command "
              "run on the host, with its output, and which ssh_config parser resolved HOST.")
@click.option("-q", "--quiet", is_flag=True, help="Show the outcome only.")
@JSON
@click.pass_context
def run(ctx: click.Context, runbook: str, params: tuple[tuple[str, str], ...], host: str | None,
        apply: bool, confirm: str | None, conn: HostOptions, fleet: FleetOptions, runs_dir: str,
        verbose: bool, quiet: bool, as_json: bool) -> None:
    """Run RUNBOOK (a name from `fxkit runbooks`, or a path) against a host, and record it.

    Parameters are checked before anything reaches the host. Each step is shown as it
    starts and ends. The executed notebook and its JSON record are written under runs/DATE/.

    --sudo sets the runbook's sudo parameter (every command through `sudo -n`); -F and
    --accept-new-host-key reach the runbook's kernel as $FXKIT_SSH_CONFIG and
    $FXKIT_ACCEPT_NEW_HOST_KEY=1, which fxkit.connect reads.

    With -i INVENTORY (--host and --limit as Ansible host patterns), the runbook runs on
    every selected host, --forks at once: each its own kernel, connection, record, lock
    and audit lines; one host failing or unreachable never stops the others. A recap
    follows; exit status 0 if all succeeded, 1 if any failed, else 4 if any was unreachable.

    Exit status: 0 done, 1 failed, 3 refused (bad parameter, missing --confirm, host
    locked), 4 host unreachable, 130 interrupted. Ctrl-C (or SIGTERM) lets the step in
    progress finish, then stops and releases the host lock; a second one stops the step.

    A run leaves a spare kernel and a spare runner (a process with the imports done) that
    the next run by the same user, Python, environment and fxkit takes; they exit after
    300 s unused. FXKIT_WARM_KERNELS=0 leaves none.
    """
    # first, so the kernel starts while the rest is imported and the parameters checked
    kernel = None if conn.inventory or fleet.limit else _warm_kernel(ctx)
    from fxkit.cli.hostopts import show_ssh_resolution
    from fxkit.cli.progress import NORMAL, QUIET, VERBOSE, LiveProgress, stop_on_signals
    from fxkit.runbook.live import RunControl
    from fxkit.runbook.runner import run_runbook

    if verbose and quiet:
        raise click.UsageError("-v and -q contradict each other: give one")
    given: dict[str, str] = {}
    for name, value in params:
        if name in ("host", "apply", "confirm", "sudo"):
            raise click.UsageError(f"use --{name} rather than -p {name}")
        given[name] = value
    if conn.inventory or fleet.limit:
        from fxkit.cli.fleetrun import run_runbook_fleet
        run_runbook_fleet(runbook, given, host, apply, confirm, conn, fleet, runs_dir, as_json)
    host = host or "lab"
    level = QUIET if quiet or as_json else VERBOSE if verbose else NORMAL
    if verbose or ctx.find_root().params.get("verbose"):   # `fxkit -v run` too
        # the kernel resolves HOST again, the same way, where nobody sees its log
        show_ssh_resolution(ctx)
        with contextlib.suppress(FxkitError):   # the run itself reports it properly
            conn.connect(host).close()          # resolves ssh_config; connects to nothing
    control = RunControl()
    with stop_on_signals(control, lambda text: click.echo("\n" + text, err=True)):
        rec = run_runbook(runbook, given, host=host, apply=apply, confirm=confirm,
                          sudo=conn.sudo, ssh_config=conn.ssh_config,
                          accept_new_host_key=conn.accept_new_host_key, runs_dir=runs_dir,
                          observer=LiveProgress(level), control=control, kernel=kernel)
    report_run(rec, as_json=as_json, quiet=quiet)


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--host", default=None, help="Only runs on this host.")
@click.option("--runbook", default=None, help="Only runs of this runbook.")
@click.option("--status", type=click.Choice(["succeeded", "failed", "interrupted", "running"]),
              default=None)
@RUNS_DIR
@JSON
@click.pass_context
def runs(ctx: click.Context, host: str | None, runbook: str | None, status: str | None,
         runs_dir: str, as_json: bool) -> None:
    """List past runbook runs (newest last); `runs show ID`, `runs verify ID`, `runs resume ID`.

    A run marked running whose process is gone (killed) is shown as stale.
    """
    ctx.obj = {"runs_dir": runs_dir}
    if ctx.invoked_subcommand is not None:
        return
    records = list_runs(runs_dir, host=host, runbook=runbook, status=status)
    if as_json:
        jsonout.echo(jsonout.runs_doc(records))
        return
    if not records:
        click.echo(f"no runs under {runs_dir}/")
        return
    for r in records:
        by = "" if r.started_by == "fxkit run" else f"  ({r.started_by})"
        status = "stale" if r.shown_status != r.status else r.status
        click.echo(f"{r.id:<44} {status:<11} {'changed' if r.changed else '-':<8} "
                   f"{r.host:<12} {r.operator}{by}")


@runs.command()
@click.argument("run_id")
@click.option("--all", "all_commands", is_flag=True, help="List every command, reads included.")
@JSON
@click.pass_context
def show(ctx: click.Context, run_id: str, all_commands: bool, as_json: bool) -> None:
    """Summarise one run: who, when, parameters, outcome, changes, files."""
    rec = find_run(ctx.obj["runs_dir"], run_id)
    if as_json:
        jsonout.echo(jsonout.run_doc(rec, exits.for_record(rec)))
        return
    click.echo(rec.summary(all_commands))


@runs.command()
@click.argument("run_id")
@click.option("--log", "audit_path", default=None, type=click.Path(dir_okay=False),
              help="Audit log to check the recorded commands against (default: the run's).")
@click.pass_context
def verify(ctx: click.Context, run_id: str, audit_path: str | None) -> None:
    """Check a run's notebook sha256, its record's seal and its audit lines in the log.

    The audit log's hash chain from the run on is checked too, against the anchor file
    beside it and the head every record in the runs directory keeps: truncating the log,
    rewriting it, or re-sealing an edited record shows. Runs started by plain papermill
    are checked the same way, except for the notebook: papermill writes it after the
    kernel (which keeps the record) has exited.
    """
    rec = find_run(ctx.obj["runs_dir"], run_id)
    log = audit_path or rec.audit_log
    others = heads_of([r for r in list_runs(ctx.obj["runs_dir"]) if r.id != rec.id], log) \
        if log else []
    problems = verify_run(rec, audit_path, heads=others)
    if problems:
        for p in problems:
            click.secho(f"{rec.id}: {p}", fg="red", err=True)
        sys.exit(exits.FAILED)
    notebook = (f"notebook sha256 {rec.notebook_sha256[:16]}... matches" if rec.notebook_sha256
                else "notebook not checked (written by papermill after the run)")
    click.echo(f"{rec.id}: {notebook}; record sealed in the audit log; "
               f"{len(rec.audit_lines)} audit line(s) intact; chain anchored "
               f"(anchor file, {len(others) + 1} record(s))")


@runs.command()
@click.argument("host")
@click.option("--yes", is_flag=True, help="Do not ask; I checked that the holder's run is gone.")
@host_options
def unlock(host: str, yes: bool, conn: HostOptions) -> None:
    """Remove a stale apply lock on HOST (left by a run that died)."""
    from fxkit.hostlock import LOCK_DIR, break_lock, current_owner, is_locked

    with conn.connect(host) as h:
        holder = current_owner(h)
        if holder is None and is_locked(h):   # its holder died between mkdir and owner file
            click.echo(f"{host}: {LOCK_DIR} exists without its owner file")
            if not yes:
                click.confirm("Is no fxkit run applying there now? Remove the lock", abort=True)
            break_lock(h)
            click.echo(f"{host}: lock removed")
            return
        if holder is None:
            click.echo(f"{host}: not locked")
            return
        click.echo(f"{host}: locked by {holder.describe()}")
        click.echo(f"{host}: " + {
            "dead": f"that process (pid {holder.pid}) is gone: the lock is stale",
            "alive": f"that process (pid {holder.pid}) is still running on this machine",
            "unknown": f"fxkit cannot tell from here whether pid {holder.pid} on "
                       f"{holder.machine} still runs"}[holder.liveness()])
        if not yes:
            click.confirm("Is that run really gone? Remove the lock", abort=True)
        break_lock(h, token=holder.token)   # unless someone took it meanwhile
        click.echo(f"{host}: lock removed")


def _warm_kernel(ctx: click.Context) -> WarmKernel:
    """A kernel for this run, killed when the command ends (``fxkit.runbook.pool``); then
    a spare kernel and a spare runner (``fxkit.cli.spare``) are left for the next run."""
    from fxkit.cli.spare import leave
    from fxkit.runbook.pool import prestarted
    ctx.call_on_close(leave)     # after the spare kernel: the exit stack runs last-in first
    return ctx.with_resource(prestarted())


runs.add_command(resume)
