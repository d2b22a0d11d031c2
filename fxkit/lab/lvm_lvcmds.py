"""The lab's LV commands: lvcreate (incl. snapshots), lvextend/lvreduce/lvresize, lvremove,
lvrename, lvchange -a; messages from lvm2 2.03.16 (tools/lvcreate.c, lib/metadata/lv_manip.c).
"""

from __future__ import annotations

from fxkit.errors import InvalidRequest
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
from fxkit.lab.shell import Call
from fxkit.lvm_names import RESERVED_LV_PREFIXES, RESERVED_LV_STRINGS, name_problem
from fxkit.lvm_sizes import SizeRequest, format_size, parse_extents, parse_size, target_extents

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


def _size_request(prog: str, a: Args, allow_sign: bool) -> SizeRequest | None:
    try:
        if a.get("size") is not None:
            return parse_size(a.get("size") or "", allow_sign=allow_sign)
        if a.get("extents") is not None:
            return parse_extents(a.get("extents") or "", allow_sign=allow_sign)
    except InvalidRequest:
        opt, val = ("--size", a.get("size")) if a.get("size") is not None else \
            ("--extents", a.get("extents"))
        pre = "  Can't parse size argument.\n" if opt == "--size" else ""
        raise UsageError(f"{pre}  Invalid argument for {opt}: {val}\n"
                         "  Error during parsing of command line.") from None
    return None


def _no_syntax(prog: str) -> UsageError:
    return UsageError(f"  No command with matching syntax recognised.  Run '{prog} --help' for "
                      "more information.")


def _lv_name_errors(prog: str, name: str) -> None:
    if name_problem(name):
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


@lvm_command("lvcreate")
def lvcreate(call: Call, a: Args) -> tuple[str, str]:
    a = parse("lvcreate", a.positional, CREATE_OPTS)
    req = _size_request("lvcreate", a, allow_sign=False)
    if req is None or not a.positional:
        raise _no_syntax("lvcreate")
    m = model(call)
    target = a.positional[0]
    origin_name = None
    if a.has("snapshot"):
        vg_name, origin_name = _split_ref(target)
    else:
        vg_name = target.rstrip("/")
    name = a.get("name")
    if name and "/" in name:
        given_vg, _, name = name.rpartition("/")
        if given_vg != vg_name:
            raise UsageError(f'  Inconsistent volume group names given: "{given_vg}" and '
                             f'"{vg_name}"\n  Run `lvcreate --help\' for more information.')
    if name is not None:
        _lv_name_errors("lvcreate", name)
    vg = vg_or_fail(m, vg_name)
    origin = None
    if origin_name is not None:
        origin = vg.lv(origin_name)
        if origin is None:
            raise Failed(f'Failed to find logical volume "{vg_name}/{origin_name}"')
        if origin.origin:
            raise Failed("Snapshots of snapshots are not supported.")
    if name is None:
        name = next(f"lvol{i}" for i in range(len(vg.lvs) + 1) if not vg.lv(f"lvol{i}"))
    if vg.lv(name):
        raise Failed(f'Logical Volume "{name}" already exists in volume group "{vg.name}"')
    if len(vg.name) + len(name) + 3 >= 128:
        raise Failed(f'Internal error: LV name "{vg.name}/{name}" length '
                     f"{len(vg.name) + len(name) + 3} is not supported.")
    free = m.vg_free(vg)
    want = target_extents(req, extent_size=vg.extent_size, vg_extents=m.vg_extents(vg),
                          vg_free=free, origin=origin.extents if origin else 0)
    if want.extents > free:
        raise Failed(f'Volume group "{vg.name}" has insufficient free space ({free} extents): '
                     f"{want.extents} required.")
    if want.extents <= 0:
        raise Failed("Unable to create new logical volume with no extents.")
    out = ""
    if want.note:
        out += lines("Rounding up size to full physical extent "
                     f"{format_size(want.extents * vg.extent_size, long=True)}")
    if a.has("test"):
        return out + lines(f'Logical volume "{name}" created.'), ""
    active = yes_no(a.get("activate"), "--activate")
    lv = m.new_lv(vg, name, want.extents, origin=origin_name, active=active)
    if origin is not None and origin.fs is not None:
        lv.fs = dict(origin.fs)
    changed(call, vg)
    err = ""
    # lvm2 zeroes the start of a new LV only when asked (-Zy, the default) and active
    if (not yes_no(a.get("zero"), "--zero") or not active) and not origin:
        err = lines(f"WARNING: Logical volume {vg.name}/{name} not zeroed.")
    return out + lines(f'Logical volume "{name}" created.'), err


def _lookup(m: LvmModel, ref: str) -> tuple[VolumeGroup, LogicalVolume]:
    vg_name, lv_name = _split_ref(ref)
    vg = vg_or_fail(m, vg_name)
    lv = vg.lv(lv_name)
    if lv is None:
        raise Failed(f"Logical volume {lv_name} not found in volume group {vg.name}.")
    return vg, lv


def _resize(call: Call, a: Args, prog: str) -> tuple[str, str]:
    a = parse(prog, a.positional, RESIZE_OPTS)
    req = _size_request(prog, a, allow_sign=True)
    if req is None or not a.positional:
        raise _no_syntax(prog)
    m = model(call)
    vg, lv = _lookup(m, a.positional[0])
    cur = lv.extents
    want = target_extents(req, extent_size=vg.extent_size, current=cur,
                          vg_extents=m.vg_extents(vg), vg_free=m.vg_free(vg))
    new = want.extents
    if new == cur:
        raise Failed(f"New size ({new} extents) matches existing size ({cur} extents).")
    if prog == "lvextend" and new < cur:
        raise Failed(f"New size given ({new} extents) not larger than existing size "
                     f"({cur} extents)")
    if prog == "lvreduce" and new > cur:
        raise Failed(f"New size given ({new} extents) not less than existing size "
                     f"({cur} extents)")
    if new <= 0:
        raise Failed(f"New size of {new} extents is not permitted for {vg.name}/{lv.name}.")
    out = err = ""
    if want.note:
        out += lines("Rounding size to boundary between physical extents: "
                     f"{format_size(new * vg.extent_size, long=True)}.")
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


@lvm_command("lvrename")
def lvrename(call: Call, a: Args) -> str:
    a = parse("lvrename", a.positional)
    p = a.positional
    if len(p) == 3:
        vg_name, old, new = p
    elif len(p) == 2:
        vg_name, old = _split_ref(p[0])
        new_vg, _, new = p[1].rpartition("/")
        if new_vg and new_vg != vg_name:
            raise UsageError("  Logical volume names must have the same volume group "
                             f'("{vg_name}" or "{new_vg}").')
    else:
        raise _no_syntax("lvrename")
    if name_problem(new):
        raise Failed(f'New logical volume name "{new}" is invalid.',
                     "Run `lvrename --help' for more information.", status=USAGE)
    _lv_name_errors("lvrename", new)
    m = model(call)
    vg = vg_or_fail(m, vg_name)
    lv = vg.lv(old)
    if lv is None:
        raise Failed(f'Existing logical volume "{old}" not found in volume group "{vg.name}"')
    if vg.lv(new):
        raise Failed(f'Logical Volume "{new}" already exists in volume group "{vg.name}"')
    for snap in vg.lvs:
        if snap.origin == old:
            snap.origin = new
    lv.name = new
    changed(call, vg)
    return lines(f'Renamed "{old}" to "{new}" in volume group "{vg.name}"')


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
