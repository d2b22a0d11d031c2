"""What the widgets ask of the domain modules, in one place: facts and plans, as small views."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from fxkit.errors import FxkitError
from fxkit.host import Host
from fxkit.plan import Plan, Step


@dataclass(frozen=True)
class VgView:
    """One volume group as the widgets show it."""

    name: str
    size_bytes: int
    free_bytes: int
    extent_bytes: int
    lv_count: int

    @property
    def used_bytes(self) -> int:
        return self.size_bytes - self.free_bytes


def _module(name: str) -> Any:
    try:
        return importlib.import_module(f"fxkit.{name}")
    except ImportError as e:
        if e.name != f"fxkit.{name}":
            raise
        raise FxkitError(f"fxkit.{name} is not available in this installation; "
                         "update fxkit to use this widget") from None


def _first(mod: Any, *names: str) -> Any:
    for n in names:
        if hasattr(mod, n):
            return getattr(mod, n)
    return None


# -- LVM -------------------------------------------------------------------------------

def vg_views(host: Host) -> list[VgView]:
    """Every VG with its size, free space and extent size, from ``fxkit.lvm``'s facts."""
    try:
        lvm = _module("lvm")
    except FxkitError:
        lvm = None
    reader = _first(lvm, "read_lvm", "read_state", "read_facts") if lvm else None
    if reader is not None:
        state = reader(host)
        vgs = state.vgs.values() if isinstance(state.vgs, dict) else state.vgs
        lvs = state.lvs.values() if isinstance(state.lvs, dict) else state.lvs
        return sorted((VgView(vg.name, int(vg.size_bytes), int(vg.free_bytes),
                              int(_first(vg, "extent_size_bytes", "extent_bytes",
                                         "extent_size")),
                              sum(1 for lv in lvs if lv.vg == vg.name)) for vg in vgs),
                      key=lambda v: v.name)
    from fxkit.xen_storage import read_storage
    facts = read_storage(host)
    return sorted((VgView(vg.name, vg.size, vg.free, vg.extent_size,
                          sum(1 for lv in facts.lvs if lv.vg == vg.name)) for vg in facts.vgs),
                  key=lambda v: v.name)


def plan_lv_create(host: Host, vg: str, name: str, size_bytes: int,
                   filesystem: str | None = None) -> Plan:
    """The plan ``fxkit.lvm`` makes for a new LV of ``size_bytes`` in ``vg``."""
    lvm = _module("lvm")
    planner = _first(lvm, "plan_lv_create")
    reader = _first(lvm, "read_lvm", "read_state", "read_facts")
    if planner is None or reader is None:
        raise FxkitError("fxkit.lvm has no plan_lv_create(facts, ...): update fxkit")
    return planner(reader(host), vg=vg, name=name, size=f"{size_bytes}b",
                   filesystem=filesystem)


# -- Xen and network -------------------------------------------------------------------

def domu_names(host: Host) -> list[str]:
    """Names of the domUs the host knows (running or with a config file)."""
    xen = _module("xen")
    state = _first(xen, "read_xen", "read_state", "read_facts")(host)
    names = {d.name for d in getattr(state, "domains", []) if d.name != "Domain-0"}
    names |= {c.name for c in getattr(state, "configs", {}).values()
              if getattr(c, "name", None)} if isinstance(getattr(state, "configs", None),
                                                          dict) else set()
    return sorted(names)


def bridge_names(host: Host) -> list[str]:
    net = _module("net")
    state = _first(net, "read_net", "read_state", "read_facts")(host)
    bridges = getattr(state, "bridges", None)
    if isinstance(bridges, dict):
        return sorted(bridges)
    return sorted(b.name if hasattr(b, "name") else str(b) for b in bridges or ())


def simple_step(description: str, argv: list[str]) -> Step:
    return Step(description, tuple(argv))
