"""LVM on a host: read PVs, VGs and LVs, check names and sizes as lvm2 does, plan changes.

    >>> import fxkit, fxkit.lvm
    >>> fx = fxkit.connect("lab")                                  # doctest: +SKIP
    >>> facts = fxkit.lvm.read_facts(fx)                           # doctest: +SKIP
    >>> print(fxkit.lvm.plan_lv_extend(facts, "lvm/web-root", "+1G"))  # doctest: +SKIP

Facts come from one ``pvs``, one ``vgs`` and one ``lvs`` JSON report (``read_lvm``),
plus the filesystems on active LVs (``read_facts``). Which domUs use an LV is Xen's
knowledge: ``fxkit.xen.read_lvm_facts`` passes it in as data (``DiskUsers``).
"""

from fxkit.lvm.display import (
    LvDisplay,
    PvDisplay,
    VgDisplay,
    parse_lvdisplay,
    parse_lvdisplay_colon,
    parse_pvdisplay,
    parse_pvdisplay_colon,
    parse_vgdisplay,
    parse_vgdisplay_colon,
)
from fxkit.lvm.facts import DiskUsers, FsInfo, LvmFacts, read_facts, read_filesystems
from fxkit.lvm.names import (
    LvRef,
    dm_name,
    dm_path,
    lv_name_problem,
    lv_path,
    parse_lv_ref,
    split_dm_name,
    validate_lv_name,
    validate_vg_name,
    vg_name_problem,
)
from fxkit.lvm.plans import plan_lv_create, plan_lv_extend
from fxkit.lvm.plans_shrink import (
    plan_lv_reduce,
    plan_lv_remove,
    plan_snapshot_create,
    plan_snapshot_remove,
)
from fxkit.lvm.plans_vg import plan_pv_create, plan_vg_create, plan_vg_extend
from fxkit.lvm.sizes import SizeRequest, format_size, human, parse_extents, parse_size
from fxkit.lvm.state import (
    LogicalVolume,
    LvAttr,
    LvmState,
    PhysicalVolume,
    VolumeGroup,
    parse_lvs_json,
    parse_pvs_json,
    parse_vgs_json,
    read_lvm,
)
from fxkit.lvm.steps import parse_size_request
from fxkit.lvm.tables import lv_table

__all__ = [
    "DiskUsers", "FsInfo", "LogicalVolume", "LvAttr", "LvDisplay", "LvRef", "LvmFacts",
    "LvmState", "PhysicalVolume", "PvDisplay", "SizeRequest", "VgDisplay", "VolumeGroup",
    "dm_name", "dm_path", "format_size", "human", "lv_name_problem", "lv_path", "lv_table",
    "parse_extents", "parse_lv_ref", "parse_lvdisplay", "parse_lvdisplay_colon",
    "parse_lvs_json", "parse_pvdisplay", "parse_pvdisplay_colon", "parse_pvs_json",
    "parse_size", "parse_size_request", "parse_vgdisplay", "parse_vgdisplay_colon",
    "parse_vgs_json", "plan_lv_create", "plan_lv_extend", "plan_lv_reduce", "plan_lv_remove",
    "plan_pv_create", "plan_snapshot_create", "plan_snapshot_remove", "plan_vg_create",
    "plan_vg_extend", "read_facts", "read_filesystems", "read_lvm", "split_dm_name",
    "validate_lv_name", "validate_vg_name", "vg_name_problem",
]
