"""``fxkit doctor [HOST]``: cross-layer findings; exits 1 when any is an error."""

from __future__ import annotations

import sys

import click

from fxkit.cli import jsonout
from fxkit.cli.hostopts import HostOptions, host_options
from fxkit.doctor import run_doctor

_COLOURS = {"error": "red", "warning": "yellow", "info": "blue"}


@click.command()
@click.argument("host", default="lab")
@click.option("--tool", type=click.Choice(["xl", "xm"]), default="xl", show_default=True,
              help="Toolstack: xl (Xen >= 4.5) or xm (older hosts).")
@host_options
@jsonout.JSON_OPTION
def doctor(host: str, tool: str, conn: HostOptions, as_json: bool) -> None:
    """Check HOST's domU configs against its LVs, bridges, memory and running domains.

    A layer (LVM, Xen, bridges) that could not be read is one finding saying why
    (layer-absent: a warning; layer-unreadable: an error), and the checks that need it
    are skipped. Exit status 1 when any finding is an error.
    """
    with conn.connect(host) as h:
        findings = run_doctor(h, tool)
    errors = sum(f.severity == "error" for f in findings)
    if as_json:
        jsonout.echo(jsonout.doctor_doc(host, findings))
        sys.exit(1 if errors else 0)
    for f in findings:
        click.secho(f"{f.severity:<7} {f.code:<18} {f.message}", fg=_COLOURS[f.severity])
        click.echo(f"{'':26} fix: {f.fix}")
    warnings = sum(f.severity == "warning" for f in findings)
    click.echo(f"{host}: {errors} error(s), {warnings} warning(s)"
               + ("" if findings else ": nothing wrong found"))
    if errors:
        sys.exit(1)
