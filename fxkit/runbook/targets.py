"""A run's absolute target: relative sizes (``+1G``, ``+50%FREE``) resolved once, when planned.

A plan of an LV size already says the size in extents (``lvextend -l 2816 lvm/web-root``);
this reads it back into the parameter that asked for it, in LVM's ``-l`` syntax, which
the run records and ``fxkit runs resume`` uses instead of the relative request::

    >>> from fxkit.plan import Plan, Step
    >>> plan = Plan("Extend", [Step("Grow", ("lvextend", "-l", "2816", "lvm/web-root"))])
    >>> resolve(plan, {"vg": "lvm", "lv": "web-root", "size": "+1G"})
    {'size': '-l 2816'}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fxkit.plan import Plan

# Runbook parameters that are LVM sizes, and the LV each one sizes (from the parameters).
SIZES = ("size", "root_size", "swap_size", "snapshot_size")
_RESIZERS = ("lvcreate", "lvextend", "lvreduce", "lvresize")


def is_relative(value: Any) -> bool:
    """Whether a size depends on the host's state when planned (a sign, or a percentage)."""
    if not isinstance(value, str):
        return False
    text = value.strip()
    if text.startswith("-l"):
        text = text[2:].strip()
    return text.startswith(("+", "-")) or "%" in text


def resolve(plan: Plan, parameters: Mapping[str, Any]) -> dict[str, str]:
    """The absolute value of each relative size parameter, as ``plan`` resolved it."""
    sized = sized_lvs(plan)
    out: dict[str, str] = {}
    for name in SIZES:
        if not is_relative(parameters.get(name)):
            continue
        wanted = [lv for lv in _lvs_of(name, parameters) if lv in sized]
        if not wanted and len(sized) == 1:
            wanted = list(sized)
        if len(wanted) == 1:
            out[name] = f"-l {sized[wanted[0]]}"
    return out


def sized_lvs(plan: Plan) -> dict[str, int]:
    """``{"vg/lv": extents}`` for every step of ``plan`` that sets an LV's size."""
    found: dict[str, int] = {}
    for step in plan.steps:
        argv = list(step.argv or ())
        while argv[:1] == ["sudo"]:
            argv = argv[argv.index("--") + 1:] if "--" in argv else argv[1:]
        if not argv or argv[0] not in _RESIZERS or "-l" not in argv:
            continue
        try:
            extents = int(argv[argv.index("-l") + 1])
        except (IndexError, ValueError):
            continue
        if argv[0] == "lvcreate":
            if "-n" not in argv or argv.index("-n") + 1 >= len(argv):
                continue
            where = argv[-1].split("/")[0]     # the VG, or a snapshot's origin VG/LV
            found[f"{where}/{argv[argv.index('-n') + 1]}"] = extents
        else:
            found[argv[-1]] = extents
    return found


def _lvs_of(name: str, p: Mapping[str, Any]) -> list[str]:
    vg = str(p.get("vg") or "")
    if name in ("root_size", "swap_size"):
        return [f"{vg}/{p.get('domu')}-{name.split('_')[0]}"]
    lvs = [str(p.get("snapshot") or ""), f"{p.get('lv')}-snap", str(p.get("lv") or "")]
    return [f"{vg}/{lv}" for lv in lvs if lv]
