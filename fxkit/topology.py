"""Who reaches what: external networks -> NICs -> (VLANs) -> bridges -> vifs -> domUs.

Built from the network facts and the site's external-network description; answers
the seminar's question "which domU reaches which uplink" with VLAN tags respected::

    >>> topo = read_topology(fx)                                  # doctest: +SKIP
    >>> topo.reaches("web")
    ['Backbone', 'FreeBox']
    >>> topo.who_reaches("VLAN 42")
    ['titanic']
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fxkit.net.state import ExternalNetwork, Link, NetState, read_externals, read_net
from fxkit.xen.facts import read_domain_names

if TYPE_CHECKING:
    from fxkit.host import Host

# node kinds, in the order the diagram's legend names them
EXTERNAL, NIC, VIRTUAL, BRIDGE, GUEST_IF, DOMU = (
    "external", "nic", "virtual", "bridge", "guest-if", "domu")
PHYSICAL_LINK, VIRTUAL_LINK = "physical", "virtual"


@dataclass(frozen=True)
class Node:
    id: str
    kind: str
    label: str
    detail: str = ""          # a second, smaller line (MAC, VLAN id...)
    group: str = ""           # "dom0", or the domU's name


@dataclass(frozen=True)
class Edge:
    a: str
    b: str
    kind: str = VIRTUAL_LINK
    label: str = ""


@dataclass
class Topology:
    """The graph, plus the reachability answers computed from the facts."""

    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    host: str = ""
    _reach: dict[str, list[str]] = field(default_factory=dict, repr=False)
    _uplinks: dict[str, list[str]] = field(default_factory=dict, repr=False)

    def add(self, node: Node) -> None:
        self.nodes.setdefault(node.id, node)

    def of_kind(self, kind: str) -> list[Node]:
        return [n for n in self.nodes.values() if n.kind == kind]

    @property
    def domus(self) -> list[str]:
        return [n.label for n in self.of_kind(DOMU)]

    def reaches(self, domu: str) -> list[str]:
        """External networks ``domu`` reaches (uplink interfaces when none are described)."""
        if domu not in self._reach:
            raise KeyError(f"{domu!r} is not a running domU here (known: "
                           f"{', '.join(sorted(self._reach)) or 'none'})")
        return list(self._reach[domu])

    def uplinks_of(self, domu: str) -> list[str]:
        """The dom0 uplink interfaces (NICs or VLAN sub-interfaces) behind ``domu``'s bridges."""
        return list(self._uplinks.get(domu, []))

    def who_reaches(self, uplink: str) -> list[str]:
        """DomUs reaching an external network (by name) or an uplink interface (eth0.42)."""
        return sorted(d for d in self._reach
                      if uplink in self._reach[d] or uplink in self._uplinks.get(d, []))


def _external_for(link: Link, externals: Iterable[ExternalNetwork]) -> list[ExternalNetwork]:
    """Externals whose traffic arrives on ``link``: untagged on a NIC, tagged on a VLAN."""
    if link.kind == "vlan":
        return [e for e in externals if e.device == link.parent and e.vlan == link.vlan_id]
    return [e for e in externals if e.device == link.name and e.vlan is None]


def build_topology(net: NetState, externals: Iterable[ExternalNetwork] = ()) -> Topology:
    externals = list(externals)
    topo = Topology(host=net.host)
    for e in externals:
        topo.add(Node(f"ext:{e.name}", EXTERNAL, e.name, e.label))
    for link in net.links:
        if link.kind == "physical":
            topo.add(Node(f"if:{link.name}", NIC, link.name, link.mac, "dom0"))
        elif link.kind == "vlan":
            topo.add(Node(f"if:{link.name}", VIRTUAL, link.name, f"VLAN {link.vlan_id}", "dom0"))
            topo.edges.append(Edge(f"if:{link.parent}", f"if:{link.name}", VIRTUAL_LINK,
                                   f"802.1Q {link.vlan_id}"))
    for e in externals:
        if f"if:{e.device}" in topo.nodes:
            topo.edges.append(Edge(f"ext:{e.name}", f"if:{e.device}", PHYSICAL_LINK,
                                   f"tagged {e.vlan}" if e.vlan is not None else ""))
    for br in net.bridges:
        topo.add(Node(f"if:{br.name}", BRIDGE, br.name, "STP on" if br.stp else "", "dom0"))
        for port in net.ports(br.name):
            if port.kind in ("physical", "vlan", "veth", "dummy") and port.domid is None:
                if f"if:{port.name}" not in topo.nodes:
                    topo.add(Node(f"if:{port.name}", VIRTUAL, port.name, port.kind, "dom0"))
                topo.edges.append(Edge(f"if:{port.name}", f"if:{br.name}"))
            elif port.kind == "tap" and port.domid is None:     # a dom0 tap, e.g. for QEMU
                topo.add(Node(f"if:{port.name}", VIRTUAL, port.name, "tap", "dom0"))
                topo.edges.append(Edge(f"if:{br.name}", f"if:{port.name}"))
    for vif in net.vifs():
        domu = vif.domain or f"domid {vif.domid}"
        topo.add(Node(f"if:{vif.name}", VIRTUAL, vif.name, "", "dom0"))
        if vif.master:
            topo.edges.append(Edge(f"if:{vif.master}", f"if:{vif.name}"))
        guest_if = f"guest:{domu}/eth{vif.devid}"
        topo.add(Node(guest_if, GUEST_IF, f"eth{vif.devid}", "", domu))
        topo.add(Node(f"domu:{domu}", DOMU, domu, f"domid {vif.domid}", domu))
        topo.edges.append(Edge(f"if:{vif.name}", guest_if, VIRTUAL_LINK))
        uplinks = topo._uplinks.setdefault(domu, [])
        reach = topo._reach.setdefault(domu, [])
        for up in (net.uplinks(vif.master) if vif.master else []):
            if up.name not in uplinks:
                uplinks.append(up.name)
            found = _external_for(up, externals) if externals else []
            names = [e.name for e in found] or ([] if externals else [up.name])
            reach += [n for n in names if n not in reach]
    for d in topo._reach:
        order = [e.name for e in externals] or [ln.name for ln in net.links]
        topo._reach[d].sort(key=lambda n: order.index(n) if n in order else len(order))
    return topo


def path_of(topo: Topology, domu: str) -> Topology:
    """The part of ``topo`` that ``domu``'s traffic crosses, walking up from its interfaces."""
    keep = {n.id for n in topo.nodes.values() if n.group == domu}
    grew = True
    while grew:                        # edges point downstream (uplink -> bridge -> vif)
        grew = False
        for e in topo.edges:
            if e.b in keep and e.a not in keep:
                keep.add(e.a)
                grew = True
    # A tagged VLAN arrives on the same NIC as the untagged network: keep only the
    # external networks the topology says this domU reaches.
    reached = {f"ext:{name}" for name in topo.reaches(domu)} if domu in topo.domus else set()
    keep = {k for k in keep if topo.nodes[k].kind != EXTERNAL or k in reached}
    sub = Topology(host=topo.host)
    for node_id in sorted(keep):
        sub.add(topo.nodes[node_id])
    sub.edges = [e for e in topo.edges if e.a in keep and e.b in keep]
    if not any(n.kind == DOMU for n in sub.nodes.values()):
        raise KeyError(domu)
    return sub


def read_topology(host: Host, tool: str = "xl", *, sudo: bool = False) -> Topology:
    """``host``'s network graph: links and bridges, vifs named after their domUs (from the
    live domain list), and the site's external networks."""
    names = read_domain_names(host, tool, sudo=sudo)
    topo = build_topology(read_net(host, names), read_externals(host))
    topo.host = topo.host or host.name
    return topo
