"""``fxkit doctor [HOST]``: cross-layer findings; exits 1 when any is an error."""

from __future__ import annotations

import sys

import click

from fxkit.cli import jsonout
from fxkit.cli.hostopts import FleetOptions, HostOptions, fleet_options, host_options
from fxkit.doctor import run_doctor
from fxkit.errors import FxkitError

_COLOURS = {"error": "red", "warning": "yellow", "info": "blue"}


@click.command()
@click.argument("host", nargs=-1)
@click.option("--tool", type=click.Choice(["xl", "xm"]), default="xl", show_default=True,
              help="Toolstack: xl (Xen >= 4.5) or xm (older hosts).")
@host_options
@fleet_options
@jsonout.JSON_OPTION
def doctor(host: tuple[str, ...], tool: str, conn: HostOptions, fleet: FleetOptions,
           as_json: bool) -> None:
    """Check HOST's domU configs against its LVs, bridges, memory and running domains.

    A layer (LVM, Xen, bridges) that could not be read is one finding saying why
    (layer-absent: a warning; layer-unreadable: an error), and the checks that need it
    are skipped. Exit status 1 when any finding is an error.

    Many hosts (several HOSTS, or -i INVENTORY with HOSTS as host patterns and --limit):
    --forks hosts at once; a table of findings per host and a recap, where a host with an
    error finding counts as failed. Exit status 1 if any host failed, else 4 if one was
    unreachable.
    """
    from fxkit.cli import fleetrun
    if fleetrun.wants_fleet(host, conn, fleet):
        _fleet(host, tool, conn, fleet, as_json)
    target = host[0] if host else "lab"
    with conn.connect(target) as h:
        findings = run_doctor(h, tool)
    errors = sum(f.severity == "error" for f in findings)
    if as_json:
        jsonout.echo(jsonout.doctor_doc(target, findings))
        sys.exit(1 if errors else 0)
    for f in findings:
        click.secho(f"{f.severity:<7} {f.code:<18} {f.message}", fg=_COLOURS[f.severity])
        click.echo(f"{'':26} fix: {f.fix}")
    warnings = sum(f.severity == "warning" for f in findings)
    click.echo(f"{target}: {errors} error(s), {warnings} warning(s)"
               + ("" if findings else ": nothing wrong found"))
    if errors:
        sys.exit(1)


class _ErrorFindings(FxkitError):
    """A host whose doctor found errors: failed in the recap, its findings still shown."""


def _fleet(hosts: tuple[str, ...], tool: str, conn: HostOptions, fleet: FleetOptions,
           as_json: bool) -> None:
    from fxkit.cli import fleetrun
    from fxkit.fleet import findings_table

    def job(h):  # type: ignore[no-untyped-def]
        with conn.connect_fleet_host(h) as host:
            findings = run_doctor(host, tool)
        errors = [f for f in findings if f.severity == "error"]
        if errors:
            e = _ErrorFindings(f"{len(errors)} error finding(s): "
                               + ", ".join(sorted({f.code for f in errors})))
            e.fleet_data = findings  # type: ignore[attr-defined]
            raise e
        return False, findings
    results = fleetrun.run_on_fleet(hosts, conn, fleet, job, quiet=as_json)
    fleetrun.finish("doctor", results, as_json,
                    lambda r: jsonout.doctor_doc(r.name, r.data), [findings_table(results)])
