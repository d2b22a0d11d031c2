"""What the widgets ask of the domain modules, in one place: facts and plans, as small views."""

from __future__ import annotations

from dataclasses import dataclass

from fxkit.host import Host
from fxkit.plan import Plan

MIB = 1024 * 1024


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


# -- LVM -------------------------------------------------------------------------------

def vg_views(host: Host) -> list[VgView]:
    """Every VG with its size, free space and extent size, from ``fxkit.lvm.state.read_lvm``."""
    from fxkit.lvm.state import read_lvm

    return sorted((VgView(vg.name, vg.size_bytes, vg.free_bytes, vg.extent_size, vg.lv_count)
                   for vg in read_lvm(host).vgs), key=lambda v: v.name)


def plan_lv_create(host: Host, vg: str, name: str, size_bytes: int,
                   filesystem: str | None = None) -> Plan:
    """``fxkit.lvm.plans.plan_lv_create`` on fresh facts: a new LV, optionally a filesystem."""
    from fxkit.lvm.facts import read_facts
    from fxkit.lvm.plans import plan_lv_create as plan

    return plan(read_facts(host, fs_sizes=False), vg, name, f"{size_bytes // MIB}m", fs=filesystem)


# -- Xen and network -------------------------------------------------------------------

def domu_names(host: Host) -> list[str]:
    """Names of the domUs the host knows: running, or defined by a config file."""
    from fxkit.xen.facts import read_xen

    facts = read_xen(host)
    names = {d.name for d in facts.domus} | {c.name for c in facts.configs.values() if c.name}
    return sorted(names)
