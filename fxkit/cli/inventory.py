"""``fxkit inventory HOST``: VGs, LVs, domains and bridges of a host, read-only."""

from __future__ import annotations

import click

from fxkit.cli.jsonout import JSON_OPTION


@click.command()
@click.argument("host", default="lab")
@JSON_OPTION
def inventory(host: str, as_json: bool) -> None:
    """Show HOST's volume groups, logical volumes, Xen domains and bridges.

    Runs only read-only commands. HOST defaults to the lab.
    """
    from fxkit.cli import jsonout
    from fxkit.connect import connect
    from fxkit.inventory import read_inventory

    with connect(host) as h:
        inv = read_inventory(h)
    if as_json:
        jsonout.echo(jsonout.inventory_doc(inv))
        return
    click.echo(str(inv))
