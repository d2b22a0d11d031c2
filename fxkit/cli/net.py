"""``fxkit net``: show bridges and vifs, draw the topology, plan bridge changes, check drift."""

from __future__ import annotations

import sys

import click

from fxkit.cli import jsonout
from fxkit.cli.hostopts import HostOptions, host_options
from fxkit.cli.plans import EXPORT, show_or_apply
from fxkit.host import Host
from fxkit.net.drift import check_drift
from fxkit.net.plans import (
    plan_attach,
    plan_bridge_create,
    plan_bridge_delete,
    plan_detach,
    read_persisted,
)
from fxkit.net.state import NetState, read_externals, read_net
from fxkit.plan import Plan
from fxkit.topology import build_topology
from fxkit.xen.facts import read_domain_names

HOST = click.argument("host", default="lab")
APPLY = click.option("--apply", is_flag=True, help="Run the plan (default: show it only).")
PERSIST = click.option("--persist/--no-persist", default=True, show_default=True,
                       help="Also write /etc/network/interfaces.d/<bridge> (ifupdown).")
JSON = jsonout.JSON_OPTION


@click.group()
def net() -> None:
    """Bridges, vifs and uplinks: facts, the topology figure, bridge plans, drift."""


def _facts(h: Host) -> NetState:
    return read_net(h, read_domain_names(h))


def _show_or_apply(plan: Plan, h: Host, apply: bool, confirm: tuple[str, ...] = (),
                   as_json: bool = False) -> None:
    show_or_apply(plan, h, apply, confirm, as_json=as_json, command="fxkit net")


@net.command()
@HOST
@host_options
@JSON
def show(host: str, conn: HostOptions, as_json: bool) -> None:
    """Bridges with their ports, each vif with its domU, and who reaches which uplink."""
    with conn.connect(host) as h:
        facts = _facts(h)
        topo = build_topology(facts, read_externals(h))
    if as_json:
        jsonout.echo(jsonout.net_doc(host, facts, topo))
        return
    for br in facts.bridges:
        click.echo(f"{br.name:<10} {br.state:<6} stp {'on ' if br.stp else 'off'} {br.mac}")
        for port in facts.ports(br.name):
            who = f"{port.domain or 'domid ' + str(port.domid)} eth{port.devid}" \
                if port.domid is not None else (f"VLAN {port.vlan_id} on {port.parent}"
                                                if port.kind == "vlan" else "")
            click.echo(f"  {port.name:<12} {port.kind:<9} {port.port_state or port.state:<11} "
                       f"{who}".rstrip())
    loose = [ln for ln in facts.links if ln.kind in ("physical", "vlan") and not ln.master]
    for link in loose:
        click.echo(f"{link.name:<10} {link.state:<6} {link.kind}, in no bridge")
    if topo.domus:
        click.echo("")
        for d in sorted(topo.domus):
            click.echo(f"{d:<12} reaches {', '.join(topo.reaches(d)) or 'nothing'}")


@net.command()
@HOST
@host_options
@click.option("-o", "--output", default="fx.svg", show_default=True,
              help="File to write: .svg or .png.")
@click.option("--title", default=None, help="Figure title (default: '<host>: network "
              "configuration').")
def diagram(host: str, conn: HostOptions, output: str, title: str | None) -> None:
    """Draw the network (external devices, NICs, VLANs, bridges, vifs, domUs) to a file."""
    from fxkit.viz import diagram as draw  # matplotlib only when drawing
    from fxkit.viz import save_figure

    with conn.connect(host) as h:
        fig = draw(h, title)
    path = save_figure(fig, output)
    click.echo(f"{path}: written ({path.stat().st_size} bytes)")


@net.command("plan-bridge")
@HOST
@host_options
@click.argument("bridge")
@click.option("--uplink", default=None, help="NIC (eth1) or VLAN sub-interface (eth0.42).")
@click.option("--stp/--no-stp", default=False, show_default=True)
@click.option("--forward-delay", default=0, show_default=True, type=int,
              help="Forward delay in seconds (bridge_fd).")
@PERSIST
@APPLY
@JSON
@EXPORT
def plan_bridge(host: str, conn: HostOptions, bridge: str, uplink: str | None, stp: bool,
                forward_delay: int, persist: bool, apply: bool, as_json: bool) -> None:
    """Create BRIDGE (with its uplink), idempotently."""
    with conn.connect(host) as h:
        plan = plan_bridge_create(_facts(h), bridge, uplink, stp=stp,
                                  forward_delay=forward_delay * 100,
                                  persisted=read_persisted(h) if persist else None)
        _show_or_apply(plan, h, apply, as_json=as_json)


@net.command("plan-attach")
@HOST
@host_options
@click.argument("iface")
@click.argument("bridge")
@PERSIST
@APPLY
@JSON
@EXPORT
def plan_attach_cmd(host: str, conn: HostOptions, iface: str, bridge: str, persist: bool,
                    apply: bool, as_json: bool) -> None:
    """Plug IFACE into BRIDGE."""
    with conn.connect(host) as h:
        plan = plan_attach(_facts(h), iface, bridge,
                           persisted=read_persisted(h) if persist else None)
        _show_or_apply(plan, h, apply, as_json=as_json)


@net.command("plan-detach")
@HOST
@host_options
@click.argument("iface")
@PERSIST
@APPLY
@JSON
@EXPORT
def plan_detach_cmd(host: str, conn: HostOptions, iface: str, persist: bool, apply: bool,
                    as_json: bool) -> None:
    """Unplug IFACE from its bridge."""
    with conn.connect(host) as h:
        plan = plan_detach(_facts(h), iface, persisted=read_persisted(h) if persist else None)
        _show_or_apply(plan, h, apply, as_json=as_json)


@net.command("plan-delete")
@HOST
@host_options
@click.argument("bridge")
@APPLY
@click.option("--confirm", multiple=True, help="Name of the bridge, to allow deleting it.")
@JSON
@EXPORT
def plan_delete_cmd(host: str, conn: HostOptions, bridge: str, apply: bool,
                    confirm: tuple[str, ...], as_json: bool) -> None:
    """Delete BRIDGE, refused while a running vif or a domU config uses it."""
    from fxkit.xen.facts import read_configs

    with conn.connect(host) as h:
        configs, _ = read_configs(h)
        plan = plan_bridge_delete(_facts(h), bridge, configs=configs,
                                  persisted=read_persisted(h))
        _show_or_apply(plan, h, apply, confirm, as_json)


@net.command()
@HOST
@host_options
def drift(host: str, conn: HostOptions) -> None:
    """Compare live bridges with /etc/network/interfaces(.d); exit 1 if they differ."""
    with conn.connect(host) as h:
        found = check_drift(_facts(h), read_persisted(h))
    for d in found:
        click.echo(str(d))
    if found:
        sys.exit(1)
    click.echo("no drift: the ifupdown files match the live bridges")
