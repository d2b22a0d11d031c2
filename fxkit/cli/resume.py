"""``fxkit runs resume RUN_ID [--apply]``: continue a failed, interrupted or dead run."""

from __future__ import annotations

import click

from fxkit.cli.hostopts import HostOptions, host_options
from fxkit.cli.jsonout import JSON_OPTION as JSON
from fxkit.cli.runreport import report_run


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("run_id")
@click.option("--apply", is_flag=True, help="Make the change (default: dry-run).")
@click.option("--confirm", default=None, metavar="NAME",
              help="Name of what the plan destroys (default: the run's own --confirm).")
@click.option("-p", "--parameter", "params", nargs=2, multiple=True, metavar="NAME VALUE",
              help="Change a parameter, e.g. -p size 11G when the run recorded no target.")
@click.option("--force", is_flag=True, help="The run, or the lock's holder, was on another "
              "machine and I checked that it is gone.")
@host_options
@click.option("-q", "--quiet", is_flag=True, help="Show the outcome only.")
@JSON
@click.pass_context
def resume(ctx: click.Context, run_id: str, apply: bool, confirm: str | None,
           params: tuple[tuple[str, str], ...], force: bool, conn: HostOptions, quiet: bool,
           as_json: bool) -> None:
    """Continue RUN_ID (failed, interrupted, or killed) toward the same target.

    The runbook runs again with the run's parameters, except that a relative size
    (+1G, +50%FREE) is the absolute target the run's plan resolved (its record says
    it), so a step that already happened is skipped and nothing grows twice. A run
    still marked running whose process is gone is recorded as interrupted, and a host
    lock left by a process that is gone is taken over (with --apply). Exit status as
    for `fxkit run`; 3 when the run (or the lock's holder) may still be running.
    """
    from fxkit.cli.progress import NORMAL, QUIET, LiveProgress, stop_on_signals
    from fxkit.hostlock import current_owner
    from fxkit.runbook.live import RunControl
    from fxkit.runbook.records import find_run
    from fxkit.runbook.resume import prepare
    from fxkit.runbook.resume import resume as resume_run

    rec = find_run(ctx.obj["runs_dir"], run_id)
    overrides = dict(params)
    plan = prepare(rec, overrides, force=force)
    say = (lambda text: click.echo(text, err=True)) if as_json else click.echo
    for note in plan.notes:
        say(f"{rec.id}: {note}")
    if not apply:
        with conn.connect(rec.host) as h:
            holder = current_owner(h)
        if holder is not None:
            state = {"dead": "its process is gone: --apply takes the lock over",
                     "alive": "it is still running", "unknown": "on another machine: "
                     "--apply --force takes it over once you checked it is gone"}
            say(f"{rec.host}: the host lock is held by {holder.describe()}; "
                f"{state[holder.liveness()]}")
    control = RunControl()
    with stop_on_signals(control, lambda text: click.echo("\n" + text, err=True)):
        new = resume_run(rec, overrides, apply=apply, confirm=confirm, force=force,
                         runs_dir=ctx.obj["runs_dir"], connect=conn.connect, sudo=conn.sudo,
                         ssh_config=conn.ssh_config,
                         accept_new_host_key=conn.accept_new_host_key,
                         observer=LiveProgress(QUIET if quiet or as_json else NORMAL),
                         control=control)
    report_run(new, as_json=as_json, quiet=quiet, resuming=rec.id)
