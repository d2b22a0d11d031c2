"""``fxkit lvm``: show PVs, VGs and LVs; plan (and apply) LV and VG changes safely."""

from __future__ import annotations

import click

from fxkit.cli import jsonout
from fxkit.cli.hostopts import HostOptions, host_options
from fxkit.cli.plans import EXPORT, show_or_apply
from fxkit.host import Host
from fxkit.lvm.facts import LvmFacts
from fxkit.lvm.plans import plan_lv_create, plan_lv_extend
from fxkit.lvm.plans_shrink import (
    plan_lv_reduce,
    plan_lv_remove,
    plan_snapshot_create,
    plan_snapshot_remove,
)
from fxkit.lvm.plans_vg import plan_vg_create, plan_vg_extend
from fxkit.lvm.sizes import human
from fxkit.plan import Plan
from fxkit.xen.storage import read_lvm_facts

HOST = click.argument("host", default="lab")
HOST_OPT = click.option("-H", "--host", default="lab", show_default=True,
                        help="Target: lab, lab:fourier, local, ssh://user@host or an alias.")
APPLY = click.option("--apply", is_flag=True, help="Run the plan (default: show it only).")
CONFIRM = click.option("--confirm", multiple=True, metavar="NAME",
                       help="Confirm a destructive step by the exact name it destroys.")
JSON = jsonout.JSON_OPTION


@click.group()
def lvm() -> None:
    """LVM: what is on a host, and plans that check everything before they change it."""


def _facts(h: Host) -> LvmFacts:
    return read_lvm_facts(h)     # through sudo when the host says so (--sudo)


def _run(plan: Plan, h: Host, apply: bool, confirm: tuple[str, ...],
         as_json: bool = False) -> None:
    show_or_apply(plan, h, apply, confirm, as_json=as_json, command="fxkit lvm")


@lvm.command()
@HOST
@host_options
@JSON
def show(host: str, conn: HostOptions, as_json: bool) -> None:
    """PVs, VGs and LVs on HOST, with the domUs that use each LV."""
    with conn.connect(host) as h:
        f = _facts(h)
    if as_json:
        jsonout.echo(jsonout.lvm_doc(host, f))
        return
    for pv in f.lvm.pvs:
        click.echo(f"PV {pv.name:<22} vg={pv.vg or '-':<10} {human(pv.size_bytes):>12} "
                   f"free {human(pv.free_bytes)}")
    for vg in f.lvm.vgs:
        click.echo(f"VG {vg.name:<22} {vg.pv_count} PV  {vg.lv_count} LV  "
                   f"{human(vg.size_bytes):>12}  free {vg.free_count} extents "
                   f"({human(vg.free_bytes)}) of {human(vg.extent_size)}")
    for lv in f.lvm.lvs:
        fs = f.fs(lv)
        users = f.referenced_by.get(lv.full_name, ())
        running = f.running_users.get(lv.full_name, ())
        state = "open" if lv.attr.open else "active" if lv.attr.active else \
            "inactive" if lv.attr.state_known else "state unknown"
        used = ", ".join(f"{u}{' (running)' if u in running else ''}" for u in users) or "-"
        click.echo(f"LV {lv.full_name:<22} {human(lv.size_bytes):>12}  {state:<8} "
                   f"fs={fs.type if fs else '-':<5} {lv.dm_path}  used by: {used}")


@lvm.command("plan-create")
@click.argument("vg")
@click.argument("name")
@click.argument("size")
@HOST
@click.option("--fs", type=click.Choice(["ext4", "ext3", "swap"]), help="Make a filesystem.")
@click.option("--wipe", metavar="MIB|all", help="Zero the first MIB MiB (or all) first.")
@APPLY
@host_options
@JSON
@EXPORT
def plan_create(vg: str, name: str, size: str, host: str, fs: str | None, wipe: str | None,
                apply: bool, conn: HostOptions, as_json: bool) -> None:
    """Create LV NAME of SIZE (10G, 512M, 100%FREE) in VG."""
    if wipe not in (None, "all") and not (wipe.isdigit() and wipe.isascii()):
        raise click.BadParameter(f"{wipe!r}: give a number of MiB, or all", param_hint="--wipe")
    with conn.connect(host) as h:
        w: int | str | None = wipe if wipe in (None, "all") else int(wipe)  # type: ignore[arg-type]
        _run(plan_lv_create(_facts(h), vg, name, size, fs=fs, wipe=w), h, apply, (),
             as_json)


@lvm.command("plan-extend")
@click.argument("lv")
@click.argument("size")
@HOST
@click.option("--no-fs", is_flag=True, help="Grow the LV only, not its filesystem.")
@APPLY
@host_options
@JSON
@EXPORT
def plan_extend(lv: str, size: str, host: str, no_fs: bool, apply: bool, conn: HostOptions,
                as_json: bool) -> None:
    """Grow LV (vg/lv, /dev/vg/lv or /dev/mapper/vg-lv) to SIZE (+5G, 20G, +100%FREE)."""
    with conn.connect(host) as h:
        _run(plan_lv_extend(_facts(h), lv, size, resize_fs=not no_fs), h, apply, (), as_json)


@lvm.command("plan-reduce")
@click.argument("lv")
@click.argument("size")
@HOST
@APPLY
@CONFIRM
@host_options
@JSON
@EXPORT
def plan_reduce(lv: str, size: str, host: str, apply: bool, confirm: tuple[str, ...],
                conn: HostOptions, as_json: bool) -> None:
    """Shrink LV to SIZE, its filesystem first (destructive: needs --confirm VG/LV)."""
    with conn.connect(host) as h:
        _run(plan_lv_reduce(_facts(h), lv, size), h, apply, confirm, as_json)


@lvm.command("plan-remove")
@click.argument("lv")
@HOST
@click.option("--wipe", is_flag=True, help="Zero the whole LV before removing it.")
@APPLY
@CONFIRM
@host_options
@JSON
@EXPORT
def plan_remove(lv: str, host: str, wipe: bool, apply: bool, confirm: tuple[str, ...],
                conn: HostOptions, as_json: bool) -> None:
    """Remove LV, unless a domU config names it, it is open, or it has snapshots."""
    with conn.connect(host) as h:
        _run(plan_lv_remove(_facts(h), lv, wipe=wipe), h, apply, confirm, as_json)


@lvm.command("plan-snapshot")
@click.argument("lv")
@click.argument("name")
@click.argument("size")
@HOST
@APPLY
@host_options
@JSON
@EXPORT
def plan_snapshot(lv: str, name: str, size: str, host: str, apply: bool, conn: HostOptions,
                  as_json: bool) -> None:
    """Snapshot LV as NAME with SIZE of change space, before a risky change."""
    with conn.connect(host) as h:
        _run(plan_snapshot_create(_facts(h), lv, name, size), h, apply, (), as_json)


@lvm.command("plan-snapshot-remove")
@click.argument("snapshot")
@HOST
@APPLY
@CONFIRM
@host_options
@JSON
@EXPORT
def plan_snapshot_drop(snapshot: str, host: str, apply: bool, confirm: tuple[str, ...],
                       conn: HostOptions, as_json: bool) -> None:
    """Remove a snapshot once the risky change went well."""
    with conn.connect(host) as h:
        _run(plan_snapshot_remove(_facts(h), snapshot), h, apply, confirm, as_json)


@lvm.command("plan-vgcreate")
@click.argument("name")
@click.argument("devices", nargs=-1, required=True)
@HOST_OPT
@APPLY
@CONFIRM
@host_options
@JSON
@EXPORT
def plan_vgcreate(name: str, devices: tuple[str, ...], host: str, apply: bool,
                  confirm: tuple[str, ...], conn: HostOptions, as_json: bool) -> None:
    """Create VG NAME on DEVICES (each is initialised as a PV: --confirm DEVICE)."""
    with conn.connect(host) as h:
        _run(plan_vg_create(_facts(h), name, list(devices)), h, apply, confirm, as_json)


@lvm.command("plan-vgextend")
@click.argument("vg")
@click.argument("devices", nargs=-1, required=True)
@HOST_OPT
@APPLY
@CONFIRM
@host_options
@JSON
@EXPORT
def plan_vgextend(vg: str, devices: tuple[str, ...], host: str, apply: bool,
                  confirm: tuple[str, ...], conn: HostOptions, as_json: bool) -> None:
    """Add DEVICES to VG (each is initialised as a PV: --confirm DEVICE)."""
    with conn.connect(host) as h:
        _run(plan_vg_extend(_facts(h), vg, list(devices)), h, apply, confirm, as_json)
