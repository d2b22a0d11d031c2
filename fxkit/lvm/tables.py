"""LVM facts as tables for a notebook or a terminal (what the LV runbooks show)."""

from __future__ import annotations

from fxkit.display import Table
from fxkit.lvm.facts import LvmFacts

GIB = 1024 ** 3


def lv_table(facts: LvmFacts, vg: str | None = None, title: str = "") -> Table:
    """One row per LV (of ``vg``, or all): size, attributes, filesystem, origin, domU users."""
    rows = []
    for lv in facts.lvm.lvs:
        if vg is not None and lv.vg != vg:
            continue
        fs = facts.fs(lv)
        rows.append((lv.full_name, f"{lv.size_bytes / GIB:.2f}", lv.attr.raw,
                     fs.type if fs else "", lv.origin,
                     ", ".join(facts.referenced_by.get(lv.full_name, ()))))
    return Table(rows, ["LV", "size GiB", "attr", "filesystem", "snapshot of", "used by"],
                 title=title)
