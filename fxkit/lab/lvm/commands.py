"""The lab's lvm2 commands for PVs and VGs, and ``lvm`` itself with its subcommand table.

Messages, exit codes (5: failed, 3: bad command line) and layouts are lvm2
2.03.16's, as captured in tests/fixtures/lvm, answered as on a host that has
device-mapper (no "Activation disabled" warning). LV commands live in
``lvcreate``, ``lvcmds`` and ``lvrename`` (-L/-l parsing in ``sizeargs``), display
commands in ``displays``, reports in ``reports``, filesystem tools in ``fs`` and
``blockdev``; what they share in ``common``. tests/support/lvm_diff.py checks them
against real lvm2 with random op sequences.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from fxkit.lab.lvm import displays, lvcmds, lvcreate, lvrename, reports
from fxkit.lab.lvm.args import Args, UsageError, parse
from fxkit.lab.lvm.common import USAGE, Failed, changed, lines, lvm_command, model, vg_or_fail
from fxkit.lab.lvm.model import LvmModel
from fxkit.lab.lvm.volumes import DEFAULT_EXTENT, PhysicalVolume, VolumeGroup, lvm_uuid
from fxkit.lab.shell.base import Call, Handler, Output
from fxkit.lvm.names import vg_name_problem
from fxkit.lvm.sizes import parse_size

DATA = Path(__file__).with_name("data")
DEV_ENTRIES = frozenset({"mapper", "disk", "block", "char", "pts", "shm", "null", "zero",
                         "random", "urandom", "console", "tty", "cciss", "xen", "net",
                         "input", "loop-control", "cpu", "fd", "stdin", "stdout", "stderr"})


# -- PVs ---------------------------------------------------------------------------------

def _init_pv(call: Call, m: LvmModel, dev: str, args: Args) -> str:
    if dev not in m.devices:
        raise Failed(f"No device found for {dev}.")
    pv = m.pvs.get(dev)
    if pv is not None and pv.vg:
        raise Failed(f'Can\'t initialize physical volume "{dev}" of volume group "{pv.vg}" '
                     "without -ff", f"{dev}: physical volume not initialized.")
    out = ""
    sig = m.signatures.get(dev)
    if sig == "dos":
        raise Failed(f"Cannot use {dev}: device is partitioned")
    if sig:
        if not (args.has("yes") or call.stdin.strip().lower().startswith("y")):
            raise Failed(f"Aborted wiping of {sig}.", "1 existing signature left on the device.",
                         f"Aborting pvcreate on {dev}.",
                         stdout=f"WARNING: {sig} signature detected on {dev} at offset 1080. "
                                "Wipe it? [y/n]: [n]\n")
        out += lines(f"Wiping {sig} signature on {dev}.")
        del m.signatures[dev]
    m.pvs[dev] = PhysicalVolume(dev, m.devices[dev], lvm_uuid(call.state, "pv", dev,
                                                               call.state.clock))
    call.state.tick()
    return out + lines(f'Physical volume "{dev}" successfully created.')


@lvm_command
def pvcreate(call: Call, a: Args) -> str:
    a = parse("pvcreate", a.positional, {"-Z": ("zero", True), "--setphysicalvolumesize":
                                          ("setpvsize", True), "-M": ("metadatatype", True),
                                          "--dataalignment": ("dataalignment", True),
                                          "-u": ("uuid", True), "--uuid": ("uuid", True)})
    if not a.positional:
        raise UsageError("  No command with matching syntax recognised.  Run 'pvcreate --help' "
                         "for more information.\n  Correct command syntax is:\n"
                         "  pvcreate PV ...\n")
    m = model(call)
    for dev in a.positional:   # lvm2 checks every device before touching any
        if dev not in m.devices:
            raise Failed(f"No device found for {dev}.")
        if m.signatures.get(dev) == "dos":
            raise Failed(f"Cannot use {dev}: device is partitioned")
        pv = m.pvs.get(dev)
        if pv is not None and pv.vg:
            raise Failed(f'Can\'t initialize physical volume "{dev}" of volume group '
                         f'"{pv.vg}" without -ff', f"{dev}: physical volume not initialized.")
    if a.has("test"):
        return ""
    return "".join(_init_pv(call, m, dev, a) for dev in a.positional)


@lvm_command
def pvremove(call: Call, a: Args) -> str:
    a = parse("pvremove", a.positional)
    m = model(call)
    out = ""
    for dev in a.positional:
        pv = m.pvs.get(dev)
        if pv is None:
            raise Failed(f"No PV found on device {dev}.", stdout=out)
        if pv.vg:
            raise Failed(f"PV {dev} is used by VG {pv.vg} so please use vgreduce first.",
                         "(If you are certain you need pvremove, then confirm by using --force "
                         "twice.)", f"{dev}: physical volume label not removed.", stdout=out)
        del m.pvs[dev]
        call.state.tick()
        out += lines(f'Labels on physical volume "{dev}" successfully wiped.')
    return out


# -- VGs ---------------------------------------------------------------------------------

def _add_pvs(call: Call, m: LvmModel, vg: VolumeGroup, devs: list[str], args: Args) -> str:
    out = ""
    for dev in devs:
        if dev not in m.devices:
            raise Failed(f"No device found for {dev}.", stdout=out)
        pv = m.pvs.get(dev)
        if pv is not None and pv.vg:
            raise Failed(f"Physical volume '{dev}' is already in volume group '{pv.vg}'",
                         f"Unable to add physical volume '{dev}' to volume group '{vg.name}'",
                         f"{dev}: physical volume not initialized.", stdout=out)
    for dev in devs:
        if dev not in m.pvs:
            out += _init_pv(call, m, dev, args)
        pv = m.pvs[dev]
        pv.vg = vg.name
        pv.pe_count = (pv.dev_size - pv.pe_start) // vg.extent_size
        vg.pvs.append(dev)
    return out


@lvm_command
def vgcreate(call: Call, a: Args) -> str:
    a = parse("vgcreate", a.positional, {"-s": ("extentsize", True),
                                          "--physicalextentsize": ("extentsize", True),
                                          "-l": ("maxlv", True), "-p": ("maxpv", True)})
    if len(a.positional) < 2:
        raise UsageError("  No command with matching syntax recognised.  Run 'vgcreate --help' "
                         "for more information.\n  Correct command syntax is:\n"
                         "  vgcreate VG_new PV ...\n")
    name, devs = a.positional[0], a.positional[1:]
    m = model(call)
    dev_entries = DEV_ENTRIES | {p.split("/")[2] for p in m.devices if p.count("/") >= 2} | {
        vg.name for vg in m.vgs}
    if m.vg(name):
        raise Failed(f"A volume group called {name} already exists.")
    problem = vg_name_problem(name, dev_entries)
    if problem:
        if name in dev_entries:
            raise Failed(f"/dev/{name}: already exists in filesystem",
                         "Run `vgcreate --help' for more information.", status=USAGE)
        raise Failed(_name_reason(name), f'New volume group name "{name}" is invalid.',
                     "Run `vgcreate --help' for more information.", status=USAGE)
    extent = DEFAULT_EXTENT
    if a.get("extentsize"):
        extent = parse_size(a.get("extentsize") or "", allow_sign=False).value
        if extent & (extent - 1) or extent < 1024:
            raise Failed(f"Invalid argument for --physicalextentsize: {a.get('extentsize')}",
                         status=USAGE)
    vg = VolumeGroup(name, lvm_uuid(call.state, "vg", name, call.state.clock), extent)
    if a.has("test"):
        return ""
    out = _add_pvs(call, m, vg, devs, a)
    m.vgs.append(vg)
    call.state.tick()
    return out + lines(f'Volume group "{name}" successfully created')


def _name_reason(name: str) -> str:
    # tools/toollib.c: validate_name_detailed's reasons, as vgcreate prints them
    if name.startswith("-"):
        return "Name cannot start with hyphen."
    if name in (".", ".."):
        return "Name starts with . or .. and has no following character(s)."
    if len(name) >= 128:
        return "Name length exceeds maximum limit of 127."
    return "Name contains invalid character, valid set includes: [a-zA-Z0-9.-_+]."


@lvm_command
def vgextend(call: Call, a: Args) -> str:
    a = parse("vgextend", a.positional)
    if len(a.positional) < 2:
        raise UsageError("  No command with matching syntax recognised.  Run 'vgextend --help' "
                         "for more information.\n  Correct command syntax is:\n"
                         "  vgextend VG PV ...\n")
    m = model(call)
    vg = vg_or_fail(m, a.positional[0])
    out = _add_pvs(call, m, vg, a.positional[1:], a)
    changed(call, vg)
    return out + lines(f'Volume group "{vg.name}" successfully extended')


@lvm_command
def vgreduce(call: Call, a: Args) -> str:
    a = parse("vgreduce", a.positional, {"-a": ("all", False), "--removemissing":
                                          ("removemissing", False)})
    m = model(call)
    vg = vg_or_fail(m, a.positional[0]) if a.positional else None
    if vg is None or len(a.positional) < 2:
        raise UsageError("  Please give volume group name and physical volume paths")
    out = ""
    for dev in a.positional[1:]:
        pv = m.pvs.get(dev)
        if pv is None or pv.vg != vg.name:
            raise Failed(f"Physical Volume \"{dev}\" not found in Volume Group \"{vg.name}\".",
                         stdout=out)
        if m.pv_alloc_count(pv):
            raise Failed(f'Physical volume "{dev}" still in use', stdout=out)
        if len(vg.pvs) == 1:
            raise Failed(f'Can\'t remove final physical volume "{dev}" from volume group '
                         f'"{vg.name}"', stdout=out)
        vg.pvs.remove(dev)
        pv.vg, pv.pe_count = None, 0
        changed(call, vg)
        out += lines(f'Removed "{dev}" from volume group "{vg.name}"')
    return out


@lvm_command
def vgremove(call: Call, a: Args) -> str:
    a = parse("vgremove", a.positional)
    m = model(call)
    out = ""
    for name in a.positional:
        vg = vg_or_fail(m, name)
        if vg.lvs and not a.has("force"):
            if not call.stdin.strip().lower().startswith("y"):
                raise Failed(f'Volume group "{name}" not removed',
                             stdout=f'Do you really want to remove volume group "{name}" '
                                    f"containing {len(vg.lvs)} logical volumes? [y/n]: [n]\n")
        for lv in [lv for lv in vg.lvs if lv.origin] + [lv for lv in vg.lvs if not lv.origin]:
            out += lvcmds.remove_lv(call, m, vg, lv, force=True)
        for dev in vg.pvs:
            m.pvs[dev].vg, m.pvs[dev].pe_count = None, 0
        m.vgs.remove(vg)
        call.state.tick()
        out += lines(f'Volume group "{name}" successfully removed')
    return out


# -- lvm itself -----------------------------------------------------------------------------

def lvm(call: Call) -> Output:
    """``lvm version`` and ``lvm SUB ARGS``: SUB run as the tool of that name would run."""
    if not call.args or call.args[0] in ("version", "--version"):
        text = (DATA / "version.txt").read_text()
        # a host with device-mapper also prints the kernel driver's version
        head, _, rest = text.partition("  Configuration:")
        return 0, head + "  Driver version:  4.47.0\n  Configuration:" + rest, ""
    sub = call.args[0]
    handler = SUBCOMMANDS.get(sub)
    if handler is None:
        return 3, "", f"  No such command '{sub}'.  Try 'help'.\n"
    return handler(dataclasses.replace(call, argv=[sub, *call.args[1:]]))


# The tools lvm2 installs as links to ``lvm``, which ``lvm SUB`` also runs; the lab's
# command table (fxkit.lab.commands) answers each of them by its own name too.
SUBCOMMANDS: dict[str, Handler] = {
    "pvcreate": pvcreate, "pvremove": pvremove, "pvs": reports.pvs,
    "pvdisplay": displays.pvdisplay, "pvscan": displays.pvscan,
    "vgcreate": vgcreate, "vgextend": vgextend, "vgreduce": vgreduce, "vgremove": vgremove,
    "vgs": reports.vgs, "vgdisplay": displays.vgdisplay, "vgscan": displays.vgscan,
    "lvcreate": lvcreate.lvcreate, "lvextend": lvcmds.lvextend, "lvreduce": lvcmds.lvreduce,
    "lvresize": lvcmds.lvresize, "lvremove": lvcmds.lvremove, "lvrename": lvrename.lvrename,
    "lvchange": lvcmds.lvchange, "lvs": reports.lvs, "lvdisplay": displays.lvdisplay,
    "lvscan": displays.lvscan,
}
