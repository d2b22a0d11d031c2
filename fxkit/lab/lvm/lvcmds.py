"""The lab's LV commands: lvextend/lvreduce/lvresize, lvremove, lvchange -a (lvcreate
and lvrename have their own modules); messages from lvm2 2.03.16 (tools/lvresize.c,
tools/lvrename.c, lib/metadata/lv_manip.c).
"""

from __future__ import annotations

from fxkit.lab.lvm.args import Args, no_syntax, parse, yes_no
from fxkit.lab.lvm.common import (
    FAILED,
    USAGE,
    Failed,
    changed,
    lines,
    lvm_command,
    model,
    split_ref,
    vg_or_fail,
)
from fxkit.lab.lvm.fs import resize_fs_messages
from fxkit.lab.lvm.model import LvmModel
from fxkit.lab.lvm.sizeargs import (
    SIZE_OPTS,
    no_repeats,
    percent_of,
    read_size_args,
    rounded_extents,
    zero_or_both,
)
from fxkit.lab.lvm.volumes import LogicalVolume, NoSpace, VolumeGroup
from fxkit.lab.shell.base import Call
from fxkit.lvm.sizes import format_size

RESIZE_OPTS = {**SIZE_OPTS, "-r": ("resizefs", False), "--resizefs": ("resizefs", False),
               "-n": ("nofsck", False), "--nofsck": ("nofsck", False),
               "-i": ("stripes", True), "--fs": ("fs", True)}


def _lookup(m: LvmModel, ref: str) -> tuple[VolumeGroup, LogicalVolume]:
    vg_name, lv_name = split_ref(ref)
    vg = vg_or_fail(m, vg_name)
    lv = vg.lv(lv_name)
    if lv is None:
        raise Failed(f"Logical volume {lv_name} not found in volume group {vg.name}.")
    return vg, lv


def _resize(call: Call, a: Args, prog: str) -> tuple[str, str]:
    a = parse(prog, a.positional, RESIZE_OPTS)
    no_repeats(prog, a, ("-L/--size", "size"), ("-l/--extents", "extents"))
    size, extents = read_size_args(prog, a)
    if (size is None and extents is None) or not a.positional:
        raise no_syntax(prog)
    zero_or_both(prog, size, extents)
    ref = a.positional[0]
    if not split_ref(ref)[1]:
        why = (f'"{ref}": Invalid path for Logical Volume.' if ref.startswith("/dev/")
               else "Please specify a logical volume path.")
        raise Failed(why, f"Run `{prog} --help' for more information.", status=USAGE)
    m = model(call)
    vg, lv = _lookup(m, a.positional[0])
    cur, free, es = lv.extents, m.vg_free(vg), vg.extent_size
    out, err, approx = "", "", False
    arg = size or extents
    assert arg is not None
    if size is not None:    # a reduction by -N is rounded down, anything else up
        count, rounded = rounded_extents(size.sectors, es, down=size.sign == "-")
        if rounded:   # the size asked, rounded (for +N, the increase), not the new total
            out += lines("Rounding size to boundary between physical extents: "
                         f"{format_size(count * es, long=True)}.")
    elif arg.percent:
        # only %FREE is "approximate" when growing (it takes what is left); %VG, %PVS
        # and %LV beyond the free space are refused (seen on lvm2 2.03.16)
        approx, of_origin = arg.percent == "FREE", 0
        if arg.percent == "ORIGIN":
            origin = vg.lv(lv.origin) if lv.origin else None
            if origin is None:
                raise Failed("Specified LV does not have an origin LV.")
            of_origin = origin.extents
        base = {"VG": m.vg_extents(vg), "FREE": free, "PVS": m.vg_extents(vg), "LV": cur,
                "ORIGIN": of_origin}[arg.percent]
        count = percent_of(arg.number, base, roundup=arg.sign != "-")
        if arg.percent == "VG" and not arg.sign and count > cur + free:
            count = cur + free
            out += lines(f"Reducing {arg.number}%VG to remaining free space "
                         f"{format_size(count * es, long=True)} in VG.")
    else:
        count = arg.number
    if not arg.sign and count == 0:
        raise Failed("New size of 0 not permitted.", stdout=out)
    new = cur + count if arg.sign == "+" else cur - count if arg.sign == "-" else count
    if new <= 0:
        raise Failed(f"Unable to reduce {vg.name}/{lv.name} below 1 extent.", stdout=out)
    if new > cur and new - cur > free and approx and free:
        new = cur + free
    if new == cur:
        raise Failed(f"New size ({new} extents) matches existing size ({cur} extents).",
                     stdout=out)
    if prog == "lvextend" and new < cur:
        raise Failed(f"New size given ({new} extents) not larger than existing size "
                     f"({cur} extents)", stdout=out)
    if prog == "lvreduce" and new > cur:
        raise Failed(f"New size given ({new} extents) not less than existing size "
                     f"({cur} extents)", stdout=out)
    new_bytes = new * vg.extent_size
    fs = lv.fs
    resizefs = a.has("resizefs") and fs is not None and fs.get("type") != "swap"
    if new < cur:
        if resizefs:
            assert fs is not None
            if fs.get("min_bytes", 0) > new_bytes:
                raise Failed("fsadm: resize2fs: New size smaller than minimum",
                             "Filesystem resize failed.", stdout=out)
        elif lv.active:
            err += lines(f"WARNING: Reducing active logical volume to "
                         f"{format_size(new_bytes, long=True)}.",
                         "THIS MAY DESTROY YOUR DATA (filesystem etc.)")
            if not a.has("force") and not a.has("yes") and \
                    not call.stdin.strip().lower().startswith("y"):
                raise Failed(*[line.strip() for line in err.splitlines()],
                             f"Logical volume {vg.name}/{lv.name} NOT reduced.",
                             stdout=out + f"Do you really want to reduce {vg.name}/{lv.name}? "
                                          "[y/n]: [n]\n")
    else:
        try:
            m.allocate(vg, new - cur, lv)
        except NoSpace as e:
            raise Failed(f"Insufficient free space: {e.needed} extents needed, but only "
                         f"{e.available} available", stdout=out) from None
    if a.has("test"):
        return out, err
    if resizefs and new > cur and lv.full_name in m.open_lvs():
        raise Failed(f"fsadm: Cannot resize {lv.dm_path}: it is in use by a running domain "
                     "and not mounted here.", "Filesystem resize failed.", stdout=out)
    old_text = f"{format_size(cur * vg.extent_size, long=True)} ({cur} extents)"
    if new > cur:
        m.extend(lv, new - cur)
    else:
        m.reduce(lv, cur - new)
    changed(call, vg)
    out += lines(f"Size of logical volume {vg.name}/{lv.name} changed from {old_text} to "
                 f"{format_size(new_bytes, long=True)} ({new} extents).",
                 f"Logical volume {vg.name}/{lv.name} successfully resized.")
    if resizefs and fs is not None:
        out += resize_fs_messages(lv, new_bytes)
        fs["size_bytes"] = new_bytes
    elif fs is not None and fs.get("size_bytes", 0) > new_bytes:
        fs["corrupt"] = True   # the filesystem now runs past the end of its device
    return out, err


@lvm_command
def lvextend(call: Call, a: Args) -> tuple[str, str]:
    return _resize(call, a, "lvextend")


@lvm_command
def lvreduce(call: Call, a: Args) -> tuple[str, str]:
    return _resize(call, a, "lvreduce")


@lvm_command
def lvresize(call: Call, a: Args) -> tuple[str, str]:
    return _resize(call, a, "lvresize")


def remove_lv(call: Call, m: LvmModel, vg: VolumeGroup, lv: LogicalVolume, *,
              force: bool) -> str:
    """Remove one LV (its snapshots too when forced); the caller checked the refs."""
    if lv.full_name in m.open_lvs():
        what = "contains a filesystem in use." if lv.fs else "in use."
        raise Failed(f"Logical volume {lv.full_name} {what}")
    out = ""
    snaps = [s for s in vg.lvs if s.origin == lv.name]
    if snaps and not force:
        raise Failed(f"Logical volume \"{lv.name}\" not removed.",
                     stdout=f"Removing origin {lv.name} will also remove {len(snaps)} "
                            "snapshots(s). Proceed? [y/n]: [n]\n")
    for snap in snaps:
        out += remove_lv(call, m, vg, snap, force=True)
    m.forget(lv)
    vg.lvs.remove(lv)
    changed(call, vg)
    return out + lines(f'Logical volume "{lv.name}" successfully removed.')


@lvm_command
def lvremove(call: Call, a: Args) -> tuple[str, str]:
    """Like lvm2's process_each_lv: VGs in the order named, each VG's LVs in its own
    order, names not found reported after, and one failure does not stop the rest."""
    a = parse("lvremove", a.positional, {"-S": ("select", True)})
    if not a.positional:
        raise no_syntax("lvremove")
    m = model(call)
    wanted: dict[str, list[str]] = {}
    for ref in a.positional:
        vg_name, lv_name = split_ref(ref)
        names = wanted.setdefault(vg_name, [])
        if lv_name not in names:
            names.append(lv_name)          # "" stands for every LV of the VG
    out, err, status = "", "", 0
    for vg_name, names in wanted.items():
        vg = m.vg(vg_name)
        if vg is None:
            err += lines(f'Volume group "{vg_name}" not found', f"Cannot process volume group "
                         f"{vg_name}")
            status = FAILED
            continue
        targets = [lv for lv in vg.lvs if "" in names or lv.name in names]
        missing = [n for n in names if n and vg.lv(n) is None]
        for lv in targets:
            if lv not in vg.lvs:             # went with its origin
                continue
            try:
                out += _remove_one(call, m, vg, lv, a)
            except Failed as e:
                out += e.stdout
                err += "".join(f"  {line}\n" for line in e.lines)
                status = e.status
        for name in missing:
            err += lines(f'Failed to find logical volume "{vg_name}/{name}"')
            status = FAILED
    return (out, err) if status == 0 else _fail_with(status, out, err)


def _fail_with(status: int, out: str, err: str) -> tuple[str, str]:
    raise Failed(*(line.strip() for line in err.splitlines()), status=status, stdout=out)


def _remove_one(call: Call, m: LvmModel, vg: VolumeGroup, lv: LogicalVolume, a: Args) -> str:
    answered = call.stdin.strip().lower().startswith("y")
    if lv.active and not (a.has("force") or a.has("yes") or answered) and \
            lv.full_name not in m.open_lvs():
        raise Failed(f'Logical volume "{lv.name}" not removed.',
                     stdout="Do you really want to remove active logical volume "
                            f"{lv.full_name}? [y/n]: [n]\n")
    return remove_lv(call, m, vg, lv, force=a.has("force") or answered)


@lvm_command
def lvchange(call: Call, a: Args) -> str:
    a = parse("lvchange", a.positional, {"-a": ("activate", True), "--activate": ("activate",
                                                                                    True)})
    if a.get("activate") is None or not a.positional:
        raise no_syntax("lvchange")
    on = yes_no(a.get("activate"), "--activate")
    m = model(call)
    for ref in a.positional:
        vg, lv = _lookup(m, ref)
        if not on and lv.full_name in m.open_lvs():
            raise Failed(f"Logical volume {lv.full_name} in use.")
        lv.active = on
    return ""

