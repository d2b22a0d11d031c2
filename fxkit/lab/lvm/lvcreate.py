"""The lab's lvcreate (plain LVs and snapshots): lvm2 2.03.16's checks, in its order.

Order and messages from tools/lvcreate.c (_lvcreate_params, _update_extents_params)
and lib/metadata/lv_manip.c, checked against the real tool by the differential
test (tests/support/lvm_diff.py): rounding is printed before a duplicate name, free
space or name length is refused; percentages are "approximate" and take what is left.
"""

from __future__ import annotations

import re

from fxkit.lab.lvm.args import Args, UsageError, no_syntax, parse, yes_no
from fxkit.lab.lvm.common import (
    USAGE,
    Failed,
    changed,
    lines,
    lv_name_errors,
    lvm_command,
    model,
    split_ref,
    vg_or_fail,
)
from fxkit.lab.lvm.model import LvmModel
from fxkit.lab.lvm.sizeargs import (
    SIZE_OPTS,
    SizeArg,
    no_repeats,
    percent_of,
    read_size_args,
    rounded_extents,
    zero_or_both,
)
from fxkit.lab.lvm.volumes import LogicalVolume, VolumeGroup
from fxkit.lab.shell.base import Call
from fxkit.lvm.sizes import SizeRequest, format_size, target_extents

CREATE_OPTS = {**SIZE_OPTS, "-n": ("name", True), "--name": ("name", True),
               "-s": ("snapshot", False), "--snapshot": ("snapshot", False),
               "-a": ("activate", True), "--activate": ("activate", True),
               "-Z": ("zero", True), "--zero": ("zero", True),
               "-W": ("wipesignatures", True), "--wipesignatures": ("wipesignatures", True),
               "-c": ("chunksize", True), "--chunksize": ("chunksize", True),
               "-C": ("contiguous", True), "--type": ("type", True), "-i": ("stripes", True),
               "-p": ("permission", True), "--addtag": ("addtag", True)}


def _next_lvol(vg: VolumeGroup) -> str:
    """lvm2's generate_lv_name: one more than the highest N that sscanf("lvol%d") reads."""
    nums = [int(m.group(1)) for lv in vg.lvs
            if (m := re.match(r"lvol\s*([+-]?\d+)", lv.name))]
    return f"lvol{max(nums, default=-1) + 1}"


def _name_param(raw: str | None) -> tuple[str | None, str | None]:
    """-n as toollib.c validate_restricted_lvname_param reads it: (name, VG given in it)."""
    if raw is None:
        return None, None
    name = raw[len("/dev/"):] if raw.startswith("/dev/") else raw
    vg = None
    if "/" in name:
        vg, _, rest = name.partition("/")
        if "/" in rest.lstrip("/"):
            raise Failed(f'"{raw}": Invalid path for Logical Volume.',
                         "Run `lvcreate --help' for more information.", status=USAGE)
        name = rest.lstrip("/")
    lv_name_errors("lvcreate", name)
    return name, vg


@lvm_command
def lvcreate(call: Call, a: Args) -> tuple[str, str]:
    a = parse("lvcreate", a.positional, CREATE_OPTS)
    no_repeats("lvcreate", a, ("-n/--name", "name"), ("-L/--size", "size"),
               ("-l/--extents", "extents"))
    size, extents = read_size_args("lvcreate", a)
    if (size is None and extents is None) or not a.positional:
        raise no_syntax("lvcreate")
    m = model(call)
    target = a.positional[0]
    origin_name = None
    if a.has("snapshot"):
        vg_name, origin_name = split_ref(target)
    else:       # skip_dev_dir; a slash left is refused after the name checks
        vg_name = target[len("/dev/"):] if target.startswith("/dev/") else target
    name, given_vg = _name_param(a.get("name"))
    if origin_name is None and "/" in vg_name:
        raise Failed("Volume group name expected (no slash)",
                     "Run `lvcreate --help' for more information.", status=USAGE)
    if given_vg is not None and given_vg != vg_name:
        raise UsageError(f'  Inconsistent volume group names given: "{given_vg}" and '
                         f'"{vg_name}"\n  Run `lvcreate --help\' for more information.')
    zero_or_both("lvcreate", size, extents)
    vg = vg_or_fail(m, vg_name)
    origin = None
    if origin_name is not None:
        origin = vg.lv(origin_name)
        if origin is None:
            raise Failed(f'Failed to find logical volume "{vg_name}/{origin_name}"')
        if origin.origin:
            raise Failed("Snapshots of snapshots are not supported.")
    free = m.vg_free(vg)
    count, out, approx = _create_extents(m, vg, size, extents, origin)
    if name is None:
        name = _next_lvol(vg)
    # lvm2 2.03.16 checks in this order, after printing any rounding (differential test)
    if vg.lv(name):
        raise Failed(f'Logical Volume "{name}" already exists in volume group "{vg.name}"',
                     stdout=out)
    if count > free:
        if not approx:
            raise Failed(f'Volume group "{vg.name}" has insufficient free space ({free} '
                         f"extents): {count} required.", stdout=out)
        if not free:
            raise Failed("Insufficient suitable allocatable extents found for logical volume "
                         f"{name}.", stdout=out)
        count = free          # a percentage is "approximate": it takes what is left
    if len(vg.name) + len(name) + 3 >= 128:
        raise Failed(f'Internal error: LV name "{vg.name}/{name}" length '
                     f"{len(vg.name) + len(name) + 3} is not supported.", stdout=out)
    if a.has("test"):
        return out + lines(f'Logical volume "{name}" created.'), ""
    active = yes_no(a.get("activate"), "--activate")
    lv = m.new_lv(vg, name, count, origin=origin_name, active=active)
    if origin is not None and origin.fs is not None:
        lv.fs = dict(origin.fs)
    changed(call, vg)
    err = ""
    # lvm2 zeroes the start of a new LV only when asked (-Zy, the default) and active
    if (not yes_no(a.get("zero"), "--zero") or not active) and not origin:
        err = lines(f"WARNING: Logical volume {vg.name}/{name} not zeroed.")
    return out + lines(f'Logical volume "{name}" created.'), err


def _create_extents(m: LvmModel, vg: VolumeGroup, size: SizeArg | None,
                    extents: SizeArg | None, origin: LogicalVolume | None
                    ) -> tuple[int, str, bool]:
    """(extents, stdout so far, approximate?) for a new LV: lvcreate.c _update_extents_params."""
    es, free = vg.extent_size, m.vg_free(vg)
    if size is not None:
        count, rounded = rounded_extents(size.sectors, es)
        note = lines("Rounding up size to full physical extent "
                     f"{format_size(count * es, long=True)}") if rounded else ""
        return count, note, False
    assert extents is not None
    if not extents.percent:
        return extents.number, "", False
    if extents.percent == "ORIGIN" and origin is not None:
        req = SizeRequest("", "percent", extents.number, "ORIGIN")
        return target_extents(req, extent_size=es, origin=origin.extents).extents, "", True
    if extents.percent == "LV":
        raise Failed("Please express size as %FREE" + (", %ORIGIN" if origin else "") +
                     ", %PVS or %VG.")
    if extents.percent == "ORIGIN":
        raise Failed("Internal error: Couldn't find origin volume.")
    base = {"VG": m.vg_extents(vg), "FREE": free, "PVS": m.vg_extents(vg)}[extents.percent]
    count, out = percent_of(extents.number, base, roundup=False), ""
    if extents.percent == "VG" and count > free:
        count = free
        out = lines(f"Reducing {extents.number}%VG to remaining free space "
                    f"{format_size(free * es, long=True)} in VG.")
    if count == 0:
        raise Failed("Calculated size of logical volume is 0 extents. Needs to be larger.",
                     stdout=out)
    return count, out, True
