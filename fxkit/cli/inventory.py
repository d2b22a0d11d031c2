"""``fxkit inventory HOST``: VGs, LVs, domains and bridges of a host, read-only."""

from __future__ import annotations

import click


@click.command()
@click.argument("host", default="lab")
def inventory(host: str) -> None:
    """Show HOST's volume groups, logical volumes, Xen domains and bridges.

    Runs only read-only commands. HOST defaults to the lab.
    """
    from fxkit.connect import connect
    from fxkit.inventory import read_inventory

    with connect(host) as h:
        click.echo(str(read_inventory(h)))
