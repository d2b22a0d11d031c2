"""The lab's LV commands: lvextend/lvreduce/lvresize, lvremove, lvchange -a (lvcreate
and lvrename have their own modules); messages from lvm2 2.03.16 (tools/lvresize.c,
tools/lvrename.c, lib/metadata/lv_manip.c).
"""

from __future__ import annotations

from fxkit.lab.lvm_args import Args, UsageError, parse, yes_no
from fxkit.lab.lvm_commands import (
    FAILED,
    USAGE,
    Failed,
    changed,
    lines,
    lvm_command,
    model,
    vg_or_fail,
)
from fxkit.lab.lvm_fs import resize_fs_messages
from fxkit.lab.lvm_model import LogicalVolume, LvmModel, NoSpace, VolumeGroup
from fxkit.lab.lvm_sizeargs import (
    SizeArg,
    no_repeats,
    percent_of,
    read_size_args,
    rounded_extents,
)
from fxkit.lab.shell import Call
from fxkit.lvm_names import RESERVED_LV_PREFIXES, RESERVED_LV_STRINGS, name_problem
from fxkit.lvm_sizes import format_size

SIZE_OPTS = {"-L": ("size", True), "--size": ("size", True), "-l": ("extents", True),
             "--extents": ("extents", True)}
CREATE_OPTS = {**SIZE_OPTS, "-n": ("name", True), "--name": ("name", True),
               "-s": ("snapshot", False), "--snapshot": ("snapshot", False),
               "-a": ("activate", True), "--activate": ("activate", True),
               "-Z": ("zero", True), "--zero": ("zero", True),
               "-W": ("wipesignatures", True), "--wipesignatures": ("wipesignatures", True),
               "-c": ("chunksize", True), "--chunksize": ("chunksize", True),
               "-C": ("contiguous", True), "--type": ("type", True), "-i": ("stripes", True),
               "-p": ("permission", True), "--addtag": ("addtag", True)}
RESIZE_OPTS = {**SIZE_OPTS, "-r": ("resizefs", False), "--resizefs": ("resizefs", False),
               "-n": ("nofsck", False), "--nofsck": ("nofsck", False),
               "-i": ("stripes", True), "--fs": ("fs", True)}


def _zero_or_both(prog: str, size: SizeArg | None, extents: SizeArg | None) -> None:
    """lvm2 refuses a zero -L/-l, then -L with -l, as command-line errors (exit 3)."""
    for arg in (extents, size):     # _read_size_params lists extents_ARG before size_ARG
        if arg is not None and arg.zero:
            raise Failed(f"{arg.option} may not be zero.",
                         f"Run `{prog} --help' for more information.", status=USAGE)
    if size is not None and extents is not None:
        both = "(not both)" if prog == "lvcreate" else "but not both"
        raise Failed(f"Please specify either size or extents {both}.",
                     f"Run `{prog} --help' for more information.", status=USAGE)


def _no_syntax(prog: str) -> UsageError:
    return UsageError(f"  No command with matching syntax recognised.  Run '{prog} --help' for "
                      "more information.")


def _lv_name_errors(prog: str, name: str, *, check_valid: bool = True) -> None:
    if check_valid and name_problem(name):
        raise Failed(f'Logical volume name "{name}" is invalid.',
                     f"Run `{prog} --help' for more information.", status=USAGE)
    for prefix in RESERVED_LV_PREFIXES:
        if name.startswith(prefix):
            raise Failed(f'Names starting "{prefix}" are reserved. Please choose a different '
                         "LV name.", f"Run `{prog} --help' for more information.", status=USAGE)
    for part in RESERVED_LV_STRINGS:
        if part in name:
            raise Failed(f'Names including "{part}" are reserved. Please choose a different '
                         "LV name.", f"Run `{prog} --help' for more information.", status=USAGE)


def _split_ref(text: str) -> tuple[str, str]:
    ref = text[len("/dev/"):] if text.startswith("/dev/") else text
    if ref.startswith("mapper/"):
        from fxkit.lvm_names import split_dm_name
        vg, lv, _ = split_dm_name(ref[len("mapper/"):])
        return vg, lv
    vg, _, lv = ref.partition("/")
    return vg, lv


def _lookup(m: LvmModel, ref: str) -> tuple[VolumeGroup, LogicalVolume]:
    vg_name, lv_name = _split_ref(ref)
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
        raise _no_syntax(prog)
    _zero_or_both(prog, size, extents)
    ref = a.positional[0]
    if not _split_ref(ref)[1]:
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


@lvm_command("lvextend")
def lvextend(call: Call, a: Args) -> tuple[str, str]:
    return _resize(call, a, "lvextend")


@lvm_command("lvreduce")
def lvreduce(call: Call, a: Args) -> tuple[str, str]:
    return _resize(call, a, "lvreduce")


@lvm_command("lvresize")
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


@lvm_command("lvremove")
def lvremove(call: Call, a: Args) -> tuple[str, str]:
    """Like lvm2's process_each_lv: VGs in the order named, each VG's LVs in its own
    order, names not found reported after, and one failure does not stop the rest."""
    a = parse("lvremove", a.positional, {"-S": ("select", True)})
    if not a.positional:
        raise _no_syntax("lvremove")
    m = model(call)
    wanted: dict[str, list[str]] = {}
    for ref in a.positional:
        vg_name, lv_name = _split_ref(ref)
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


@lvm_command("lvchange")
def lvchange(call: Call, a: Args) -> str:
    a = parse("lvchange", a.positional, {"-a": ("activate", True), "--activate": ("activate",
                                                                                    True)})
    if a.get("activate") is None or not a.positional:
        raise _no_syntax("lvchange")
    on = yes_no(a.get("activate"), "--activate")
    m = model(call)
    for ref in a.positional:
        vg, lv = _lookup(m, ref)
        if not on and lv.full_name in m.open_lvs():
            raise Failed(f"Logical volume {lv.full_name} in use.")
        lv.active = on
    return ""


__all__ = ["FAILED", "remove_lv"]
