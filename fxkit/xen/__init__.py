"""Xen on a host: domains and their config files, the ``xl``/``xm`` toolstack, domU plans.

    >>> import fxkit, fxkit.xen
    >>> fx = fxkit.connect("lab")                                  # doctest: +SKIP
    >>> [d.name for d in fxkit.xen.read_xen(fx).domus]             # doctest: +SKIP
    ['titanic', 'ns', 'web']
    >>> facts = fxkit.xen.read_domu_facts(fx)                      # doctest: +SKIP
    >>> print(fxkit.xen.plan_domu_start(facts, "backup"))          # doctest: +SKIP

This is also where Xen meets LVM: which LV a domU disk names (``lv_ref_for_disk``) and
which domUs use each LV (``read_disk_users``, ``read_lvm_facts``).
"""

from fxkit.xen.config import DomainConfig
from fxkit.xen.domains import (
    CONFIG_DIR,
    Domain,
    DomainDetails,
    VcpuInfo,
    XenInfo,
    parse_info,
    parse_list,
    parse_list_long,
    parse_vcpu_list,
)
from fxkit.xen.facts import XenFacts, list_config_paths, read_configs, read_xen
from fxkit.xen.macs import XEN_OUI, duplicate_macs, normalize_mac, stable_mac
from fxkit.xen.plans import (
    DomuFacts,
    DomuSpec,
    plan_domu_create,
    plan_domu_reboot,
    plan_domu_remove,
    plan_domu_shutdown,
    plan_domu_start,
    read_domu_facts,
)
from fxkit.xen.specs import DiskSpec, VifSpec
from fxkit.xen.storage import (
    disk_users,
    lv_for_path,
    lv_ref_for_disk,
    read_disk_users,
    read_lvm_facts,
)
from fxkit.xen.toolstack import Toolstack

__all__ = [
    "CONFIG_DIR", "DiskSpec", "Domain", "DomainConfig", "DomainDetails", "DomuFacts",
    "DomuSpec", "Toolstack", "VcpuInfo", "VifSpec", "XEN_OUI", "XenFacts", "XenInfo",
    "disk_users", "duplicate_macs", "list_config_paths", "lv_for_path", "lv_ref_for_disk",
    "normalize_mac", "parse_info", "parse_list", "parse_list_long", "parse_vcpu_list",
    "plan_domu_create", "plan_domu_reboot", "plan_domu_remove", "plan_domu_shutdown",
    "plan_domu_start", "read_configs", "read_disk_users", "read_domu_facts",
    "read_lvm_facts", "read_xen", "stable_mac",
]
