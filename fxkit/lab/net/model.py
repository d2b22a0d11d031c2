"""The lab's network section: links (physical, bridges, vifs, taps, veths, VLANs) and wiring.

Behaviour follows the Linux kernel where it shows in tool output:

- a bridge's address and bridge id track the smallest port MAC; a new bridge has a
  random address and a zero bridge id, and a bridge whose last port leaves gets
  00:00:00:00:00:00 for both (``net/bridge/br_stp_if.c``, br_stp_recalculate_bridge_id);
- ``ip link add A type veth peer name B`` registers B first, so B has the lower ifindex
  (``drivers/net/veth.c``, veth_newlink);
- Xen's netback names the dom0 side of a guest NIC ``vif<domid>.<devid>``, gives it
  the address fe:ff:ff:ff:ff:ff and a queue length of 32
  (``drivers/net/xen-netback/interface.c``).
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields
from typing import Any

from fxkit.errors import LabError

ZERO_MAC = "00:00:00:00:00:00"
VIF_MAC = "fe:ff:ff:ff:ff:ff"
KINDS = ("loopback", "physical", "bridge", "vif", "tap", "veth", "vlan", "dummy")


@dataclass
class NetLink:
    """One network interface of the lab's dom0."""

    name: str
    kind: str
    ifindex: int
    mac: str
    up: bool = True                  # administratively up (``ip link set dev X up``)
    carrier: bool = True             # cable plugged (physical), peer up (veth)
    mtu: int = 1500
    master: str | None = None
    vlan_id: int | None = None
    parent: str | None = None        # VLAN: lower device; veth: its peer
    stp: bool = False                # bridges only
    forward_delay: int = 1500        # bridges only, centiseconds as the kernel keeps it
    bridge_id: str = ZERO_MAC        # bridges only: MAC part of the bridge id
    domid: int | None = None         # vifs: owning domain
    devid: int | None = None         # vifs: index in the domain's vif list
    guest_mac: str | None = None     # vifs: the MAC the domU sees
    queues: int = 1
    bus: str | None = None           # physical: "pci"; vif: "xen-backend"
    busdev: str | None = None
    port_no: int | None = None       # bridge ports: the kernel's port number (1, 2, ...)
    mac_set: bool = False            # bridges: address set by hand, so it no longer follows ports
    mtu_set: bool = False            # bridges: MTU set by hand, so it no longer follows ports
    activated: bool = False          # has been up once (a qdisc is attached from then on)
    ll_mac: str | None = None        # MAC its IPv6 link-local came from (kept until down)
    addresses: list[str] = field(default_factory=list)

    @property
    def is_bridge(self) -> bool:
        return self.kind == "bridge"

    @property
    def state(self) -> str:
        """Administrative state, "UP" or "DOWN" (``render.operstate`` adds carrier)."""
        return "UP" if self.up else "DOWN"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            default = [] if f.default is MISSING else f.default
            if f.name in ("name", "kind", "ifindex", "mac") or value != default:
                out[f.name] = list(value) if isinstance(value, list) else value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NetLink:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise LabError(f"net.json link {data.get('name')!r}: unknown keys {sorted(unknown)}; "
                           f"allowed: {sorted(known)}")
        if data.get("kind") not in KINDS:
            raise LabError(f"net.json link {data.get('name')!r}: kind {data.get('kind')!r} is not "
                           f"one of {', '.join(KINDS)}")
        return cls(**data)


@dataclass
class NetModel:
    """All links of the lab host, in ifindex order, plus a pointer to the lab state."""

    links: list[NetLink] = field(default_factory=list)
    next_ifindex: int = 1
    routes: list[dict[str, Any]] = field(default_factory=list)   # besides connected ones
    state: Any = field(default=None, repr=False, compare=False)

    # -- (de)serialisation ------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: dict[str, Any], state: Any = None) -> NetModel:
        links = [NetLink.from_dict(d) for d in data.get("links", [])]
        nxt = int(data.get("next_ifindex", max((ln.ifindex for ln in links), default=0) + 1))
        model = cls(links=sorted(links, key=lambda ln: ln.ifindex), next_ifindex=nxt,
                    routes=[dict(r) for r in data.get("routes", [])], state=state)
        for link in model.links:
            if link.master is not None and not model.has_bridge(link.master):
                raise LabError(f"net.json: {link.name} has master {link.master!r}, which is not "
                               "a bridge in the same file; add the bridge or drop the master")
        return model

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"links": [ln.to_dict() for ln in self.links],
                               "next_ifindex": self.next_ifindex}
        if self.routes:
            out["routes"] = [dict(r) for r in self.routes]
        return out

    # -- queries --------------------------------------------------------------------------

    def get(self, name: str) -> NetLink | None:
        for link in self.links:
            if link.name == name:
                return link
        return None

    def has_bridge(self, name: str) -> bool:
        link = self.get(name)
        return link is not None and link.is_bridge

    def ports(self, bridge: str) -> list[NetLink]:
        return [ln for ln in self.links if ln.master == bridge]

    def bridges(self) -> list[NetLink]:
        return [ln for ln in self.links if ln.is_bridge]

    def oper_up(self, link: NetLink) -> bool:
        """Whether the kernel would report the link UP (admin up and carrier)."""
        if not link.up:
            return False
        if link.kind == "bridge":
            return any(self.oper_up(p) for p in self.ports(link.name))
        if link.kind == "veth":
            peer = self.get(link.parent or "")
            return peer is not None and peer.up
        if link.kind == "vlan":
            lower = self.get(link.parent or "")
            return lower is not None and self.oper_up(lower)
        if link.kind == "tap":
            return link.carrier and link.domid is not None
        return link.carrier

    # -- changes ----------------------------------------------------------------------------

    def _mac(self, *parts: object) -> str:
        if self.state is not None and hasattr(self.state, "mac"):
            # locally administered unicast, like the kernel's eth_random_addr
            raw = self.state.mac("02", "net", *parts, self.next_ifindex)
            first = (int(raw[:2], 16) & 0xFE) | 0x02
            return f"{first:02x}" + raw[2:]
        return f"02:00:00:00:{self.next_ifindex // 256:02x}:{self.next_ifindex % 256:02x}"

    def _tick(self) -> None:
        """After every change: advance the clock, and settle IPv6 link-local addresses."""
        for link in self.links:
            # addrconf: a link-local appears once the link is up with carrier, from the MAC
            # of that moment; it stays through carrier loss and goes at admin down
            if not link.up:
                link.ll_mac = None
            elif link.ll_mac is None and link.kind != "loopback" and self.oper_up(link):
                link.ll_mac = link.mac
        up = {ln.name for ln in self.links if ln.up}
        self.routes = [r for r in self.routes if r.get("dev") in up]   # fib flush on down
        if self.state is not None and hasattr(self.state, "tick"):
            self.state.tick()

    def add(self, name: str, kind: str, *, mac: str | None = None, **kw: Any) -> NetLink:
        """Register a new link with the next ifindex (callers check names first)."""
        if self.get(name) is not None:
            raise LabError(f"lab network: {name} already exists; delete it first")
        link = NetLink(name=name, kind=kind, ifindex=self.next_ifindex,
                       mac=mac or self._mac(kind, name), **kw)
        self.next_ifindex += 1
        self.links.append(link)
        self._tick()
        return link

    def delete(self, name: str) -> list[str]:
        """Remove a link and what dies with it (veth peer, VLANs on it); return the names."""
        link = self.get(name)
        if link is None:
            return []
        gone = [name]
        if link.kind == "veth" and link.parent:
            gone.append(link.parent)
        gone += [ln.name for ln in self.links if ln.kind == "vlan" and ln.parent == name]
        masters = {ln.master for ln in self.links if ln.name in gone and ln.master}
        for ln in self.links:
            if ln.master in gone:
                ln.master, ln.port_no = None, None
        self.links = [ln for ln in self.links if ln.name not in gone]
        for m in masters:
            self.recompute_bridge(m)
        self._tick()
        return gone

    def set_master(self, name: str, bridge: str | None) -> None:
        link = self.get(name)
        if link is None:
            raise LabError(f"lab network: no link {name}")
        old = link.master
        if bridge != old:
            used = {p.port_no for p in self.ports(bridge)} if bridge else set()
            link.port_no = next(n for n in range(1, 1024) if n not in used) if bridge else None
        link.master = bridge
        for b in {old, bridge} - {None}:
            self.recompute_bridge(b)  # type: ignore[arg-type]
        self._tick()

    def set_mac(self, name: str, mac: str) -> None:
        """Change a link's address (bridges it belongs to follow, as in the kernel)."""
        link = self.get(name)
        if link is None:
            raise LabError(f"lab network: no link {name}")
        link.mac = mac.lower()
        if link.is_bridge:           # br_set_mac_address: the id follows, and stays put
            link.bridge_id, link.mac_set = link.mac, True
        if link.master:
            self.recompute_bridge(link.master)

    def recompute_bridge(self, bridge: str) -> None:
        br = self.get(bridge)
        if br is None or not br.is_bridge:
            return
        ports = self.ports(bridge)
        if ports and not br.mtu_set:                 # br_mtu_auto: the smallest port MTU
            br.mtu = min(p.mtu for p in ports)
        if br.mac_set:
            return
        macs = [p.mac for p in ports]
        new_id = min(macs, key=lambda m: bytes.fromhex(m.replace(":", ""))) if macs else ZERO_MAC
        if new_id != br.bridge_id:
            br.bridge_id = new_id
            br.mac = new_id

    # -- the Xen side (contract with fxkit.lab.xen.model) ------------------------------------

    def add_vif(self, domid: int, devid: int, mac: str, bridge: str) -> NetLink:
        """Create ``vif<domid>.<devid>`` (host side) and plug it into ``bridge``.

        Raises LabError when the bridge is missing: the real vif-bridge hotplug
        script fails the same way, and ``xl create`` reports it.
        """
        if not self.has_bridge(bridge):
            raise LabError(f"lab network: bridge {bridge} does not exist, so vif{domid}.{devid} "
                           f"cannot be plugged; create it (brctl addbr {bridge}) or fix the "
                           "domU's vif line")
        name = f"vif{domid}.{devid}"
        if self.get(name) is not None:
            self.delete(name)
        link = self.add(name, "vif", mac=VIF_MAC, domid=domid, devid=devid,
                        guest_mac=mac.lower(), bus="xen-backend",
                        busdev=f"vif-{domid}-{devid}", queues=self._cpus())
        self.set_master(name, bridge)
        return link

    def remove_vifs(self, domid: int) -> list[str]:
        """Remove every vif (and HVM ``-emu`` tap) of a domain; return the names removed."""
        names = [ln.name for ln in self.links if ln.domid == domid]
        for name in names:
            self.delete(name)
        return names

    def _cpus(self) -> int:
        hw = getattr(self.state, "hardware", None) or {}
        cpu: dict[str, Any] = hw["cpu"] if isinstance(hw.get("cpu"), dict) else {}
        if isinstance(cpu.get("sockets"), int) and isinstance(cpu.get("cores_per_socket"), int):
            return int(cpu["sockets"] * cpu["cores_per_socket"] * cpu.get("threads_per_core", 1))
        for key in ("dom0_vcpus", "cpus", "nproc", "threads"):
            if isinstance(hw.get(key), int):
                return int(hw[key])
        return 1
