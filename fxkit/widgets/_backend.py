"""What the widgets ask of the domain modules, in one place: facts and plans, as small views."""

from __future__ import annotations

from dataclasses import dataclass

from fxkit.errors import PreconditionFailed
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


def lv_names(host: Host, vg: str) -> list[tuple[str, int]]:
    """(name, size in bytes) of the LVs of ``vg``, by name."""
    from fxkit.lvm.state import read_lvm

    return sorted((lv.name, lv.size_bytes) for lv in read_lvm(host).lvs_in(vg))


def plan_lv_create(host: Host, vg: str, name: str, size_bytes: int,
                   filesystem: str | None = None) -> Plan:
    """``fxkit.lvm.plans.plan_lv_create`` on fresh facts: a new LV, optionally a filesystem.

    An LV of that name that exists is a refusal saying its size and what to do, not the
    lvm planner's "nothing to do: already exists" (which is right for a runbook run twice,
    but reads as success to someone asking for a new, smaller LV)."""
    from fxkit.lvm.facts import read_facts
    from fxkit.lvm.plans import plan_lv_create as plan
    from fxkit.lvm.sizes import human

    facts = read_facts(host, fs_sizes=False)
    have = facts.lvm.lv(f"{vg}/{name}") if name else None
    if have is not None:
        raise PreconditionFailed(
            f"{vg}/{name} already exists ({human(have.size_bytes)}; you asked for a new LV of "
            f"{human(size_bytes)}): choose another name, or the extend mode to grow it")
    return plan(facts, vg, name, f"{size_bytes // MIB}m", fs=filesystem)


def plan_lv_grow(host: Host, vg: str, name: str, add_bytes: int) -> Plan:
    """``fxkit.lvm.plan_lv_extend`` by ``add_bytes``, with the filesystem, on facts that know
    which domU uses which LV (a running domU's disk is grown differently)."""
    from fxkit.lvm.plans import plan_lv_extend
    from fxkit.xen.storage import read_lvm_facts

    return plan_lv_extend(read_lvm_facts(host), f"{vg}/{name}", f"+{add_bytes // MIB}m")


def plan_lv_drop(host: Host, vg: str, name: str) -> Plan:
    """``fxkit.lvm.plan_lv_remove``: refused while a domU config names the LV."""
    from fxkit.lvm.plans_shrink import plan_lv_remove
    from fxkit.xen.storage import read_lvm_facts

    return plan_lv_remove(read_lvm_facts(host), f"{vg}/{name}")


# -- Xen and network -------------------------------------------------------------------

def domu_names(host: Host) -> list[str]:
    """Names of the domUs the host knows: running, or defined by a config file."""
    from fxkit.xen.facts import read_xen

    facts = read_xen(host)
    names = {d.name for d in facts.domus} | {c.name for c in facts.configs.values() if c.name}
    return sorted(names)


def bridge_networks(host: Host) -> dict[str, list[str]]:
    """Each bridge -> the external networks its uplinks lead to (untagged on a NIC, tagged
    on a VLAN sub-interface), from the site's description; the uplink names without one."""
    from fxkit.net.state import read_externals, read_net

    net, externals = read_net(host), read_externals(host)
    out: dict[str, list[str]] = {}
    for br in net.bridges:
        names: list[str] = []
        for up in net.uplinks(br.name):
            if up.kind == "vlan":
                found = [e.name for e in externals
                         if e.device == up.parent and e.vlan == up.vlan_id]
            else:
                found = [e.name for e in externals if e.device == up.name and e.vlan is None]
            names += [n for n in (found or [up.name]) if n not in names]
        out[br.name] = names
    return out


def xen_free_memory(host: Host) -> int | None:
    """The memory (MiB) Xen can still give a new domain (``xl info`` free_memory)."""
    from fxkit.xen.facts import read_xen

    info = read_xen(host).info
    return info.free_memory if info else None
