"""A host's inventory: VGs, LVs, domains and bridges, read once and shown as tables.

    >>> inv = read_inventory(connect("lab"))            # doctest: +SKIP
    >>> print(inv.vg_table())                           # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from fxkit.errors import InvalidRequest
from fxkit.lvm import LvmState, read_lvm
from fxkit.lvm_names import parse_lv_ref
from fxkit.net import NetState, read_net
from fxkit.report import Table
from fxkit.xen import XenFacts, read_xen

if TYPE_CHECKING:
    from fxkit.host import Host

GIB = 1024 ** 3


@dataclass(frozen=True)
class Inventory:
    host: str
    lvm: LvmState
    xen: XenFacts
    net: NetState

    def vg_table(self) -> Table:
        return Table([(vg.name, vg.pv_count, vg.lv_count, f"{vg.size_bytes / GIB:.2f}",
                       f"{(vg.size_bytes - vg.free_bytes) / GIB:.2f}",
                       f"{vg.free_bytes / GIB:.2f}") for vg in self.lvm.vgs],
                     ["VG", "PVs", "LVs", "size GiB", "used GiB", "free GiB"], "Volume groups")

    def lv_table(self) -> Table:
        return Table([(lv.vg, lv.name, f"{lv.size_bytes / GIB:.2f}", lv.attr.raw,
                       ", ".join(self.users(lv.full_name))) for lv in self.lvm.lvs],
                     ["VG", "LV", "size GiB", "attr", "disk of"], "Logical volumes")

    def domain_table(self) -> Table:
        configs = {c.name: path for path, c in self.xen.configs.items()}
        running = {d.name for d in self.xen.domains}
        rows = [(d.name, d.id, d.memory, d.vcpus, d.state, configs.get(d.name, ""))
                for d in self.xen.domains]
        rows += [(name, "", "", "", "(stopped)", path)
                 for name, path in sorted(configs.items()) if name not in running]
        return Table(rows, ["domain", "id", "MiB", "vcpus", "state", "config"], "Xen domains")

    def bridge_table(self) -> Table:
        return Table([(b.name, ", ".join(link.name for link in self.net.uplinks(b.name)),
                       ", ".join(f"{v.name} ({v.domain})" if v.domain else v.name
                                 for v in self.net.vifs() if v.master == b.name))
                      for b in self.net.bridges], ["bridge", "uplinks", "vifs"], "Bridges")

    def users(self, lv: str) -> list[str]:
        """Names of the domUs whose config has the LV ``vg/lv`` as a disk."""
        return sorted({c.name or path for path, c in self.xen.configs.items()
                       for d in c.disks if _lv_of(d.target) == lv})

    def __str__(self) -> str:
        return "\n\n".join(str(t) for t in (self.vg_table(), self.lv_table(),
                                            self.domain_table(), self.bridge_table()))


def _lv_of(target: str | None) -> str | None:
    try:
        return parse_lv_ref(target).full_name if target else None
    except InvalidRequest:
        return None  # a file or partition, not an LV


def read_inventory(host: Host) -> Inventory:
    """Read LVM, Xen and network facts (read-only commands only)."""
    xen = read_xen(host)
    net = read_net(host, {d.id: d.name for d in xen.domains if d.id is not None})
    return Inventory(host.name, read_lvm(host), xen, net)
