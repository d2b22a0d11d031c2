"""The lab's lvrename, with tools/lvrename.c's checks in its order (lvm2 2.03.16).

Names are checked before the VG is read (exit 3, "Run `lvrename --help'"); a new
path with two slashes is complained about yet still renamed, as lvm2 does.
"""

from __future__ import annotations

from fxkit.lab.lvm.args import Args, no_syntax, parse
from fxkit.lab.lvm.common import (
    USAGE,
    Failed,
    changed,
    lines,
    lv_name_errors,
    lvm_command,
    model,
    vg_or_fail,
)
from fxkit.lab.shell.base import Call
from fxkit.lvm.names import name_problem


def _extract_vg(ref: str) -> tuple[str | None, str]:
    """toollib.c extract_vgname: the VG of ``vg/lv`` (None and a complaint if malformed)."""
    path = ref[len("/dev/"):] if ref.startswith("/dev/") else ref
    vg, _, rest = path.partition("/")
    if "/" in rest.lstrip("/"):
        return None, f'"{ref}": Invalid path for Logical Volume.'
    return vg, ""


@lvm_command
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
            raise no_syntax("lvrename")     # a bare name without a VG: not modelled further
        vg_name = got
    elif len(p) > 3:
        raise Failed(f"Command does not accept argument: {p[3]}.", status=USAGE)
    else:       # the command-line definitions reject this before lvrename.c runs
        raise no_syntax("lvrename")
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
        lv_name_errors("lvrename", new, check_valid=False)
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
