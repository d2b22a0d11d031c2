"""What the widgets ask of the domain modules, in one place: facts and plans, as small views."""

from __future__ import annotations

import importlib
from dataclasses import dataclass

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


# -- LVM -------------------------------------------------------------------------------

def vg_views(host: Host) -> list[VgView]:
    """Every VG with its size, free space and extent size, from ``fxkit.lvm.read_lvm``."""
    from fxkit.lvm import read_lvm

    return sorted((VgView(vg.name, vg.size_bytes, vg.free_bytes, vg.extent_size, vg.lv_count)
                   for vg in read_lvm(host).vgs), key=lambda v: v.name)


def plan_lv_create(host: Host, vg: str, name: str, size_bytes: int,
                   filesystem: str | None = None) -> Plan:
    """The plan for a new LV of ``size_bytes`` in ``vg``, optionally with a filesystem.

    Uses ``fxkit.lvm.plan_lv_create`` when this fxkit has it; otherwise the LV steps
    of ``fxkit.xen_storage`` (the ones domU plans use), with the same checks first.
    """
    try:
        lvm_plans = importlib.import_module("fxkit.lvm_plans")
    except ImportError:
        lvm_plans = None
    planner = getattr(lvm_plans, "plan_lv_create", None)
    if planner is not None:
        return planner(host, vg=vg, name=name, size=f"{size_bytes}b", filesystem=filesystem)
    return _storage_plan(host, vg, name, size_bytes, filesystem)


def _storage_plan(host: Host, vg: str, name: str, size_bytes: int,
                  filesystem: str | None) -> Plan:
    from fxkit.errors import InvalidRequest, PreconditionFailed
    from fxkit.lvm_names import validate_lv_name
    from fxkit.xen_storage import lv_create_step, read_storage, round_to_extents

    validate_lv_name(name, vg)
    facts = read_storage(host)
    group = facts.vg(vg)
    if group is None:
        raise InvalidRequest(f"volume group {vg!r} does not exist; existing: "
                             f"{', '.join(v.name for v in facts.vgs) or 'none'}")
    size = round_to_extents(size_bytes, group.extent_size)
    title = f"Create LV {vg}/{name}"
    if facts.lv(vg, name) is not None:
        return Plan(title, [], reason=f"{vg}/{name} already exists")
    if size > group.free:
        raise PreconditionFailed(f"{vg} has {group.free // 1024**2} MiB free, {vg}/{name} needs "
                                 f"{size // 1024**2} MiB: choose a smaller size or free space")
    steps = [lv_create_step(vg, name, size)]
    dev = f"/dev/{vg}/{name}"
    if filesystem == "ext4":
        steps.append(Step(f"Make an ext4 filesystem on {vg}/{name}",
                          ("mkfs.ext4", "-q", "-L", name[:16], dev)))
    elif filesystem == "swap":
        steps.append(Step(f"Make {vg}/{name} a swap area", ("mkswap", "-L", name[:16], dev)))
    return Plan(title, steps, replan=lambda h: _storage_plan(h, vg, name, size, None))


# -- Xen and network -------------------------------------------------------------------

def domu_names(host: Host) -> list[str]:
    """Names of the domUs the host knows: running, or defined by a config file."""
    from fxkit.xen import read_xen

    facts = read_xen(host)
    names = {d.name for d in facts.domus} | {c.name for c in facts.configs.values() if c.name}
    return sorted(names)
