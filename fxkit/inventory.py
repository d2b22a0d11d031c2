"""A host's inventory: VGs, LVs, domains and bridges, read once and shown as tables.

    >>> inv = read_inventory(connect("lab"))            # doctest: +SKIP
    >>> print(inv.vg_table())                           # doctest: +SKIP

Each layer (LVM, Xen, bridges) is read on its own: on a host without Xen, the Xen layer
is "absent" with the reason, and the volumes and bridges are still shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from fxkit.display import Table
from fxkit.layers import Layer, read_layer
from fxkit.lvm.state import LVM_READS, LvmState, read_lvm
from fxkit.net.state import NET_READS, NetState, read_net
from fxkit.xen.config_files import list_command
from fxkit.xen.domains import CONFIG_DIR
from fxkit.xen.facts import XenFacts, read_xen
from fxkit.xen.storage import disk_users
from fxkit.xen.toolstack import read_commands

if TYPE_CHECKING:
    from fxkit.host import Host

GIB = 1024 ** 3


@dataclass(frozen=True)
class Inventory:
    """A host's LVM, Xen and network facts; ``layers`` says how each one was read (a layer
    that is absent or unreadable holds empty facts)."""

    host: str
    lvm: LvmState
    xen: XenFacts
    net: NetState
    layers: tuple[Layer, ...] = ()

    def layer(self, name: str) -> Layer:
        """How layer ``name`` ("lvm", "xen", "net") was read (read, absent or unreadable)."""
        return next((la for la in self.layers if la.name == name), Layer(name))

    def vg_table(self) -> Table:
        return Table([(vg.name, vg.pv_count, vg.lv_count, f"{vg.size_bytes / GIB:.2f}",
                       f"{(vg.size_bytes - vg.free_bytes) / GIB:.2f}",
                       f"{vg.free_bytes / GIB:.2f}", vg.extent_size // 1024 ** 2, vg.free_count)
                      for vg in self.lvm.vgs],
                     ["VG", "PVs", "LVs", "size GiB", "used GiB", "free GiB", "extent MiB",
                      "free extents"], "Volume groups")

    def lv_table(self) -> Table:
        users = self.disk_users()
        return Table([(lv.vg, lv.name, f"{lv.size_bytes / GIB:.2f}", lv.attr.raw, lv.origin,
                       ", ".join(users.get(lv.full_name, []))) for lv in self.lvm.lvs],
                     ["VG", "LV", "size GiB", "attr", "snapshot of", "used by"],
                     "Logical volumes")

    def domain_table(self) -> Table:
        configs = {c.name: path for path, c in self.xen.configs.items() if c.name}
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

    def disk_users(self) -> dict[str, list[str]]:
        """``vg/lv`` -> names of the domUs whose config has that LV as a disk."""
        return {lv: list(names) for lv, names in disk_users(self.xen.configs).referenced_by.items()}

    def __str__(self) -> str:
        parts = [self._or_reason("lvm", self.vg_table()), self._or_reason("lvm", self.lv_table()),
                 self._or_reason("xen", self.domain_table()),
                 self._or_reason("net", self.bridge_table())]
        return "\n\n".join(dict.fromkeys(parts))     # one line per layer not read

    def _or_reason(self, name: str, table: Table) -> str:
        layer = self.layer(name)
        return str(table) if layer.ok else str(layer)


def first_reads(tool: str = "xl") -> list[tuple[str, ...]]:
    """Every layer's reads that need no other's answer: Xen's (the configs' list, then the
    toolstack), the bridges', LVM's; sent together ahead of the layers' readers (the
    configs' texts are read once their list is known)."""
    return [list_command(CONFIG_DIR), *read_commands(tool), *NET_READS, *LVM_READS]


def read_inventory(host: Host) -> Inventory:
    """Read LVM, Xen and network facts (read-only commands only), each layer on its own;
    their first reads go together (``Host.reads_ahead``)."""
    with host.reads_ahead(first_reads()):
        xen, xen_layer = read_layer("xen", lambda: read_xen(host),
                                    XenFacts("xl", [], [], None))
        domains = {d.id: d.name for d in xen.domains if d.id is not None}
        net, net_layer = read_layer("net", lambda: read_net(host, domains),
                                    NetState((), (), host.name))
        lvm, lvm_layer = read_layer("lvm", lambda: read_lvm(host), LvmState((), (), ()))
    return Inventory(host.name, lvm, xen, net, (lvm_layer, xen_layer, net_layer))
