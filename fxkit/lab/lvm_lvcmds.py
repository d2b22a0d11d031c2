"""The lab's LV commands: lvextend/lvreduce/lvresize, lvremove, lvrename, lvchange -a
(lvcreate is in lvm_lvcreate); messages from lvm2 2.03.16 (tools/lvresize.c,
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
from fxkit.lab.lvm_sizeargs import SizeArg, percent_of, read_size_args, rounded_extents
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
    size, extents = read_size_args(prog, a)
    if (size is None and extents is None) or not a.positional:
        raise _no_syntax(prog)
    _zero_or_both(prog, size, extents)
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
        approx, of_origin = True, 0
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
    a = parse("lvremove", a.positional, {"-S": ("select", True)})
    if not a.positional:
        raise _no_syntax("lvremove")
    m = model(call)
    out = ""
    for ref in a.positional:
        vg_name, lv_name = _split_ref(ref)
        vg = m.vg(vg_name)
        if vg is None:
            raise Failed(f'Volume group "{vg_name}" not found',
                         f"Cannot process volume group {vg_name}", stdout=out)
        targets = [vg.lv(lv_name)] if lv_name else list(vg.lvs)
        if targets == [None]:
            raise Failed(f'Failed to find logical volume "{vg_name}/{lv_name}"', stdout=out)
        for lv in targets:
            if lv is None or lv not in vg.lvs:
                continue
            answered = call.stdin.strip().lower().startswith("y")
            if lv.active and not (a.has("force") or a.has("yes") or answered):
                if lv.full_name not in m.open_lvs():
                    raise Failed(f'Logical volume "{lv.name}" not removed.',
                                 stdout=out + "Do you really want to remove active logical "
                                 f"volume {lv.full_name}? [y/n]: [n]\n")
            try:
                out += remove_lv(call, m, vg, lv, force=a.has("force") or answered)
            except Failed as e:
                raise Failed(*e.lines, status=e.status, stdout=out + e.stdout) from None
    return out, ""


def _extract_vg(ref: str) -> tuple[str | None, str]:
    """toollib.c extract_vgname: the VG of ``vg/lv`` (None and a complaint if malformed)."""
    path = ref[len("/dev/"):] if ref.startswith("/dev/") else ref
    vg, _, rest = path.partition("/")
    if "/" in rest.lstrip("/"):
        return None, f'"{ref}": Invalid path for Logical Volume.'
    return vg, ""


@lvm_command("lvrename")
def lvrename(call: Call, a: Args) -> tuple[str, str]:
    """lvrename in tools/lvrename.c's order: names checked first (exit 3), then the VG."""
    a = parse("lvrename", a.positional)
    p, err = a.positional, ""

    def usage(message: str) -> Failed:
        return Failed(message, "Run `lvrename --help' for more information.", status=USAGE)
    if len(p) == 3:
        vg_name = p[0][len("/dev/"):] if p[0].startswith("/dev/") else p[0]
        old, new = p[1], p[2]
        if "/" in old:
            old_vg, err = _extract_vg(old)
            if old_vg is not None and old_vg != vg_name:
                raise usage(f'Please use a single volume group name ("{vg_name}" or '
                            f'"{old_vg}")')
    elif len(p) == 2:
        old, new = p
        got, err = _extract_vg(old)
        if got is None or "/" not in old:
            raise _no_syntax("lvrename")     # a bare name without a VG: not modelled further
        vg_name = got
    else:
        raise usage("Old and new logical volume names required")
    if name_problem(vg_name):
        raise usage("Please provide a valid volume group name")
    if "/" in new:
        new_vg, complaint = _extract_vg(new)
        err += lines(complaint) if complaint else ""
        if new_vg is not None and new_vg != vg_name:
            raise Failed(*(x.strip() for x in err.splitlines()),
                         f'Logical volume names must have the same volume group ("{vg_name}" '
                         f'or "{new_vg}")', "Run `lvrename --help' for more information.",
                         status=USAGE)
    old, new = old.rpartition("/")[2], new.rpartition("/")[2]
    if new.startswith("-") and not old.startswith("-"):   # "-" marks a historical LV
        raise usage("Old name references live LV while new name is for historical LV.")
    maxlen = 128 - len(vg_name) - 3
    try:
        if len(new) > maxlen:
            raise usage(f'New logical volume name "{new}" may not exceed {maxlen} characters.')
        if not new:
            raise usage("New logical volume name may not be blank")
        _lv_name_errors("lvrename", new, check_valid=False)
        if name_problem(new):
            raise usage(f'New logical volume name "{new}" is invalid')
        if old == new:
            raise usage("Old and new logical volume names must differ")
        m = model(call)
        vg = vg_or_fail(m, vg_name)
        lv = vg.lv(old)
        if lv is None:
            raise Failed(f'Existing logical volume "{old}" not found in volume group '
                         f'"{vg.name}"')
        if vg.lv(new):
            raise Failed(f'Logical Volume "{new}" already exists in volume group "{vg.name}"')
        if len(vg.name) + len(new) + 3 >= 128:
            raise Failed(f'Internal error: LV name "{vg.name}/{new}" length '
                         f"{len(vg.name) + len(new) + 3} is not supported.")
    except Failed as e:   # a complaint about the new path comes first
        raise Failed(*(x.strip() for x in err.splitlines()), *e.lines, status=e.status) \
            from None
    for snap in vg.lvs:
        if snap.origin == old:
            snap.origin = new
    lv.name = new
    changed(call, vg)
    return lines(f'Renamed "{old}" to "{new}" in volume group "{vg.name}"'), err


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
