"""``fxkit demo``: the main job on the lab, end to end, in under a minute."""

from __future__ import annotations

import shlex

import click

TASK = {"vg": "lvm", "lv": "backup-root", "size": "+2G"}


def _title(n: int, text: str) -> None:
    click.echo()
    click.secho(f"== {n}. {text}", bold=True)


@click.command()
@click.option("--keep-state", is_flag=True,
              help="Do not reset the lab to the fx scenario first.")
@click.option("--runs-dir", default="runs", show_default=True,
              help="Where executed runbooks and their records go.")
def demo(keep_state: bool, runs_dir: str) -> None:
    """Start the lab, read its inventory, plan a maintenance task, run it as a runbook.

    The task: the stopped domU "backup" needs 2 GiB more on its root disk
    (lvm/backup-root). It runs as the lv-extend runbook, first as a dry-run,
    then applied, and ends with the run's audit record verified.
    """
    from fxkit import audit
    from fxkit.cli.progress import LiveProgress
    from fxkit.connect import connect
    from fxkit.inventory import read_inventory
    from fxkit.lab import reset
    from fxkit.lab.ssh import daemon
    from fxkit.lab.store import lab_dir
    from fxkit.lvm.plans import plan_lv_extend
    from fxkit.runbook.records import verify_run
    from fxkit.runbook.runner import run_runbook
    from fxkit.xen.storage import read_lvm_facts

    _title(1, "The lab: a simulated fx, served over SSH on 127.0.0.1")
    if not keep_state:
        reset("fx")
        click.echo("lab state reset to the fx scenario")
    st = daemon.status() or daemon.start(["fx"])
    click.echo(f"lab server pid {st.pid}, fx on port {st.ports['fx']}")
    click.echo(f"plain OpenSSH works too: ssh -F {shlex.quote(str(lab_dir() / 'ssh_config'))} "
               "fx xl list")

    with connect("lab") as fx:
        _title(2, f"Inventory of {fx.name} (read-only)")
        click.echo(str(read_inventory(fx)))

        _title(3, "A maintenance task, planned (nothing runs yet)")
        ref = f"{TASK['vg']}/{TASK['lv']}"
        click.echo(str(plan_lv_extend(read_lvm_facts(fx), ref, TASK["size"])))

    _title(4, "The same task as a runbook: dry-run, then applied")
    for apply in (False, True):
        rec = run_runbook("lv-extend", TASK, host="lab", apply=apply, runs_dir=runs_dir,
                          observer=LiveProgress())
        mode = "apply" if apply else "dry-run"
        click.echo(f"{mode:8} {rec.status:10} changed={'yes' if rec.changed else 'no':3} "
                   f"commands={len(rec.commands)}")
        if not rec.ok:
            raise click.ClickException(f"the lv-extend runbook failed; see {rec.notebook}")
    click.echo(f"executed notebook: {rec.notebook}")
    click.echo(f"audit record:      {rec.record_path}")

    _title(5, "Verify the record and the audit log")
    problems = verify_run(rec)
    if problems:
        raise click.ClickException("verification failed:\n  " + "\n  ".join(problems))
    log_problems = [str(p) for p in audit.verify()]
    if log_problems:
        log = audit.default_path()
        raise click.ClickException(
            f"this run's record verifies, but the audit log {log} does not:\n  "
            + "\n  ".join(log_problems) + "\nThe log keeps its history, so every check "
            "finds these again. Keep the log as evidence and start a new chain: move it and "
            f"its anchor aside (mv {log} {audit.anchor_path(log)} SOMEWHERE/), or point "
            "FXKIT_AUDIT_LOG at a new file.")
    click.echo(f"record {rec.id}: notebook sha256 matches, {len(rec.audit_lines)} audit lines "
               "chained; audit log intact")
    click.echo()
    click.echo("Next: `fxkit runs show " + rec.id + "`, `fxkit runbooks`, the seminar "
               "(`fxkit seminar copy DIR`), `fxkit lab stop` when done.")
