"""``fxkit xen``: list domains, show configs, plan domU creation, removal and lifecycle."""

from __future__ import annotations

import click

from fxkit.cli import jsonout
from fxkit.cli.hostopts import HostOptions, host_options
from fxkit.cli.plans import EXPORT, show_or_apply
from fxkit.plan import Plan
from fxkit.xen.config import DomainConfig
from fxkit.xen.macs import stable_mac
from fxkit.xen.plans import (
    DomuSpec,
    plan_domu_create,
    plan_domu_reboot,
    plan_domu_remove,
    plan_domu_shutdown,
    plan_domu_start,
    read_domu_facts,
)
from fxkit.xen.toolstack import Toolstack

HOST = click.argument("host", default="lab")
TOOL = click.option("--tool", type=click.Choice(["xl", "xm"]), default="xl", show_default=True,
                    help="Toolstack: xl (Xen >= 4.5) or xm (older hosts).")
APPLY = click.option("--apply", is_flag=True, help="Run the plan (default: show it only).")
CONFIRM = click.option("--confirm", multiple=True, metavar="NAME",
                       help="Name what the plan destroys (repeat; a domU's name confirms "
                            "everything of that domU).")
JSON = jsonout.JSON_OPTION


@click.group()
def xen() -> None:
    """Xen domains: list them, read configs, create, remove, start, stop, reboot domUs."""


def _show_or_apply(plan: Plan, host: object, apply: bool, confirm: tuple[str, ...] = (),
                   as_json: bool = False) -> None:
    show_or_apply(plan, host, apply, confirm, as_json=as_json, command="fxkit xen")


@xen.command("list")
@HOST
@TOOL
@host_options
@JSON
def list_(host: str, tool: str, conn: HostOptions, as_json: bool) -> None:
    """Running domains: name, id, memory (MiB), vcpus, state, cpu seconds."""
    with conn.connect(host) as h:
        domains = Toolstack(h, tool).list()
    if as_json:
        jsonout.echo(jsonout.xen_list_doc(host, tool, domains))
        return
    for d in domains:
        click.echo(f"{d.name:<24} {d.id:>4} {d.memory:>6} {d.vcpus:>3}  {d.state}  "
                   f"{d.cpu_seconds:>9.1f}  {','.join(d.flags) or 'idle'}")


@xen.command()
@HOST
@TOOL
@host_options
def info(host: str, tool: str, conn: HostOptions) -> None:
    """Host memory and CPUs as the hypervisor sees them."""
    with conn.connect(host) as h:
        i = Toolstack(h, tool).info()
        click.echo(f"{i.host}: Xen {i.version}, {i.nr_cpus} CPUs, {i.total_memory} MiB, "
                   f"{i.free_memory} MiB free")


@xen.command()
@click.argument("path")
@HOST
@click.option("--style", type=click.Choice(["xl", "xm"]), default="xl", show_default=True,
              help="Print it back in xl's or xm's syntax.")
@host_options
def config(path: str, host: str, style: str, conn: HostOptions) -> None:
    """Parse a domain config on HOST and print it back, with its disks and vifs."""
    with conn.connect(host) as h:
        c = DomainConfig.parse(h.read_file(path), path)
    click.echo(c.render(style), nl=False)
    for d in c.disks:
        click.echo(f"# disk {d.vdev}: {d.path} ({'rw' if d.writable else 'ro'})")
    for n, v in enumerate(c.vifs):
        click.echo(f"# vif {n}: mac={v.mac or 'auto'} bridge={v.bridge_or_default}")


@xen.command()
@click.argument("name")
@click.argument("index", type=int, default=0)
@click.option("--prefix", default="00:16:3e", show_default=True)
def mac(name: str, index: int, prefix: str) -> None:
    """The stable MAC of vif INDEX of domain NAME."""
    click.echo(stable_mac(name, index, prefix))


@xen.command()
@click.argument("name")
@HOST
@click.option("--memory", type=int, default=128, show_default=True, help="MiB")
@click.option("--vcpus", type=int, default=1, show_default=True)
@click.option("--root-size", default="4G", show_default=True)
@click.option("--swap-size", default="512M", show_default=True)
@click.option("--vg", default="lvm", show_default=True)
@click.option("--bridge", "bridges", multiple=True, help="One vif per --bridge (default xenbr0).")
@CONFIRM
@TOOL
@APPLY
@host_options
@JSON
@EXPORT
def create(name: str, host: str, memory: int, vcpus: int, root_size: str, swap_size: str,
           vg: str, bridges: tuple[str, ...], confirm: tuple[str, ...], tool: str, apply: bool,
           conn: HostOptions, as_json: bool) -> None:
    """Plan a domU from nothing: LVs, filesystems, /etc/xen/NAME.cfg, start.

    Replacing an existing /etc/xen/NAME.cfg that differs destroys it: the plan shows
    that step and applies only with --confirm NAME (the domU's name).
    """
    spec = DomuSpec(name, memory=memory, vcpus=vcpus, root_size=root_size,
                    swap_size=swap_size, vg=vg, bridges=bridges or ("xenbr0",))
    with conn.connect(host) as h:
        _show_or_apply(plan_domu_create(read_domu_facts(h, tool), spec), h, apply, confirm,
                       as_json)


@xen.command()
@click.argument("name")
@HOST
@click.option("--keep-disks", is_flag=True, help="Keep the domU's LVs.")
@click.option("--wipe", is_flag=True, help="Zero the LVs before removing them.")
@CONFIRM
@TOOL
@APPLY
@host_options
@JSON
@EXPORT
def remove(name: str, host: str, keep_disks: bool, wipe: bool, confirm: tuple[str, ...],
           tool: str, apply: bool, conn: HostOptions, as_json: bool) -> None:
    """Plan shutting a domU down and deleting its config (and LVs)."""
    with conn.connect(host) as h:
        plan = plan_domu_remove(read_domu_facts(h, tool), name,
                                remove_disks=not keep_disks, wipe=wipe)
        _show_or_apply(plan, h, apply, confirm, as_json)


def _lifecycle(action: str, planner: object) -> None:
    @xen.command(action)
    @click.argument("name")
    @HOST
    @TOOL
    @APPLY
    @host_options
    @JSON
    @EXPORT
    def cmd(name: str, host: str, tool: str, apply: bool, conn: HostOptions, as_json: bool) -> None:
        with conn.connect(host) as h:
            plan = planner(read_domu_facts(h, tool), name)  # type: ignore[operator]
            _show_or_apply(plan, h, apply, as_json=as_json)
    cmd.__doc__ = f"Plan to {action} domU NAME."


_lifecycle("start", plan_domu_start)
_lifecycle("shutdown", plan_domu_shutdown)
_lifecycle("reboot", plan_domu_reboot)


@xen.command()
@click.argument("name")
@HOST
@TOOL
@host_options
def console(name: str, host: str, tool: str, conn: HostOptions) -> None:
    """Print the recent console output of domU NAME (never attaches)."""
    with conn.connect(host) as h:
        click.echo(Toolstack(h, tool).console(name), nl=False)
