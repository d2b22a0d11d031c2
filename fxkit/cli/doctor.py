"""``fxkit doctor [HOST]``: cross-layer findings; exits 1 when any is an error."""

from __future__ import annotations

import sys

import click

from fxkit.cli import jsonout
from fxkit.connect import connect
from fxkit.doctor import run_doctor

_COLOURS = {"error": "red", "warning": "yellow", "info": "blue"}


@click.command()
@click.argument("host", default="lab")
@click.option("--tool", type=click.Choice(["xl", "xm"]), default="xl", show_default=True)
@click.option("--sudo", is_flag=True, help="Run xl and the LVM tools through sudo -n.")
@jsonout.JSON_OPTION
def doctor(host: str, tool: str, sudo: bool, as_json: bool) -> None:
    """Check HOST's domU configs against its LVs, bridges, memory and running domains.

    Exit status 1 when any finding is an error.
    """
    with connect(host) as h:
        findings = run_doctor(h, tool, sudo=sudo)
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
