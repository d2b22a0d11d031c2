"""``fxkit inventory HOST``: VGs, LVs, domains and bridges of a host, read-only."""

from __future__ import annotations

import click

from fxkit.cli.hostopts import HostOptions, host_options
from fxkit.cli.jsonout import JSON_OPTION


@click.command()
@click.argument("host", default="lab")
@host_options
@JSON_OPTION
def inventory(host: str, conn: HostOptions, as_json: bool) -> None:
    """Show HOST's volume groups, logical volumes, Xen domains and bridges.

    Runs only read-only commands. HOST defaults to the lab. Each layer (LVM, Xen,
    bridges) is read on its own: one that could not be read is shown as "absent" (its
    tool is not installed, or not in the login user's PATH: try --sudo) or "unreadable"
    (the tool failed: sudo refused it, Xen is not running), with the reason, and the
    others are still shown.
    """
    from fxkit.cli import jsonout
    from fxkit.inventory import read_inventory

    with conn.connect(host) as h:
        inv = read_inventory(h)
    if as_json:
        jsonout.echo(jsonout.inventory_doc(inv))
        return
    click.echo(str(inv))
