"""``fxkit inventory [HOST...]``: VGs, LVs, domains and bridges of hosts, read-only."""

from __future__ import annotations

import click

from fxkit.cli.hostopts import FleetOptions, HostOptions, fleet_options, host_options
from fxkit.cli.jsonout import JSON_OPTION


@click.command()
@click.argument("host", nargs=-1)
@host_options
@fleet_options
@JSON_OPTION
def inventory(host: tuple[str, ...], conn: HostOptions, fleet: FleetOptions,
              as_json: bool) -> None:
    """Show the volume groups, logical volumes, Xen domains and bridges of HOST (one or more).

    Runs only read-only commands. HOSTS defaults to the lab. Each layer (LVM, Xen,
    bridges) is read on its own: one that could not be read is shown as "absent" (its
    tool is not installed, or not in the login user's PATH: try --sudo) or "unreadable"
    (the tool failed: sudo refused it, Xen is not running), with the reason, and the
    others are still shown.

    Many hosts (several HOSTS, or -i INVENTORY with HOSTS as host patterns and --limit):
    --forks hosts are read at once, each on its own connection; the fleet tables (free
    space per VG, domUs, memory committed) and a recap follow. Exit status 0 when every
    host was read, 1 if one failed, 4 if one was unreachable and none failed.
    """
    from fxkit.cli import fleetrun, jsonout
    from fxkit.inventory import read_inventory

    hosts = host
    if fleetrun.wants_fleet(hosts, conn, fleet):
        from fxkit.fleet import domu_table, memory_table, vg_free_table

        def job(h):  # type: ignore[no-untyped-def]
            with conn.connect_fleet_host(h) as host:
                return False, read_inventory(host)
        results = fleetrun.run_on_fleet(hosts, conn, fleet, job, quiet=as_json)
        fleetrun.finish("inventory", results, as_json,
                        lambda r: jsonout.inventory_doc(r.data),
                        [vg_free_table(results), domu_table(results), memory_table(results)])
    with conn.connect(hosts[0] if hosts else "lab") as h:
        inv = read_inventory(h)
    if as_json:
        jsonout.echo(jsonout.inventory_doc(inv))
        return
    click.echo(str(inv))
