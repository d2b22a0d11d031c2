"""Network facts of a dom0: links, bridges and their ports, vifs mapped to domUs.

Two commands, both machine-readable: ``ip -j -d link show`` (every link, its kind,
MAC, state, MTU, master, VLAN id) and ``bridge -j link show`` (port states); hosts
without the ``bridge`` tool fall back to ``brctl show``::

    >>> net = read_net(connect("lab"), domains={1: "titanic"})      # doctest: +SKIP
    >>> net.bridge("xenbr0").ports
    ('eth0', 'vif1.0', 'vif2.0', 'vif3.0')
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from fxkit.errors import ParseError

if TYPE_CHECKING:
    from fxkit.host import Host

LINK_KINDS = ("loopback", "physical", "bridge", "vif", "tap", "veth", "vlan", "dummy", "other")
# Xen's netback names the dom0 end of guest NIC M of domain N "vifN.M"; HVM guests also
# get an emulated twin "vifN.M-emu" (a tap). See Xen's tools/hotplug/Linux/vif-common.sh.
_VIF = re.compile(r"^vif(\d+)\.(\d+)(-emu)?$")


@dataclass(frozen=True)
class Link:
    """One network interface of the dom0, as the kernel reports it."""

    name: str
    kind: str
    mac: str
    state: str                      # operstate: UP, DOWN, UNKNOWN, LOWERLAYERDOWN
    mtu: int
    ifindex: int = 0
    admin_up: bool = False
    master: str | None = None
    vlan_id: int | None = None
    parent: str | None = None       # VLAN: the lower device; veth: its peer
    domid: int | None = None        # vifs: the domain id in the name
    devid: int | None = None        # vifs: the domU's interface number
    domain: str | None = None       # vifs: the domain name, when the Xen facts give it
    port_state: str | None = None   # bridge ports: forwarding, disabled, blocking...

    @property
    def is_up(self) -> bool:
        return self.state in ("UP", "UNKNOWN")


@dataclass(frozen=True)
class Bridge:
    """A Linux bridge (software switch) and the names of its ports."""

    name: str
    mac: str
    state: str
    stp: bool
    bridge_id: str
    ports: tuple[str, ...] = ()
    forward_delay: int | None = None  # centiseconds


@dataclass(frozen=True)
class NetState:
    """All links and bridges of one host, in ifindex order."""

    links: tuple[Link, ...]
    bridges: tuple[Bridge, ...] = ()
    host: str = ""
    source: str = "ip+bridge"

    def link(self, name: str) -> Link | None:
        return next((ln for ln in self.links if ln.name == name), None)

    def bridge(self, name: str) -> Bridge | None:
        return next((b for b in self.bridges if b.name == name), None)

    def ports(self, bridge: str) -> list[Link]:
        return [ln for ln in self.links if ln.master == bridge]

    def uplinks(self, bridge: str) -> list[Link]:
        """The bridge's ports that lead out of the machine (physical NICs, VLANs on them)."""
        return [ln for ln in self.ports(bridge) if ln.kind in ("physical", "vlan")]

    def vifs(self, domain: str | None = None) -> list[Link]:
        guest = [ln for ln in self.links if ln.domid is not None and ln.kind in ("vif", "tap")]
        return [ln for ln in guest if domain is None or ln.domain == domain]

    def with_domains(self, domains: Mapping[int, str]) -> NetState:
        """A copy where each vif names its domain (``{domid: name}`` from the Xen facts)."""
        links = tuple(replace(ln, domain=domains.get(ln.domid, ln.domain)) if ln.domid is not None
                      else ln for ln in self.links)
        return replace(self, links=links)


# -- pure parsers ----------------------------------------------------------------------------

def _load_json(text: str, what: str) -> list[dict[str, Any]]:
    try:
        data = json.loads(text or "[]")
    except json.JSONDecodeError as e:
        raise ParseError(f"{what}: not JSON ({e}); is iproute2 older than 4.13? "
                         "fxkit needs `ip -j`") from e
    if not isinstance(data, list):
        raise ParseError(f"{what}: expected a JSON list, got {type(data).__name__}")
    return data


def classify(item: Mapping[str, Any]) -> tuple[str, int | None, str | None]:
    """(kind, vlan id, parent) of one ``ip -j -d link`` record."""
    name = str(item.get("ifname", ""))
    info = item.get("linkinfo") or {}
    info_kind = info.get("info_kind")
    data = info.get("info_data") or {}
    vif = _VIF.match(name)
    if item.get("link_type") == "loopback":
        return "loopback", None, None
    if info_kind == "vlan":
        return "vlan", int(data["id"]) if "id" in data else None, item.get("link")
    if info_kind == "bridge":
        return "bridge", None, None
    if info_kind == "tun":
        return ("tap" if data.get("type", "tap") == "tap" else "other"), None, None
    if vif and not vif.group(3) and info_kind in (None, "veth"):
        # real netback vifs have no info_kind; test rigs stand them in with veth pairs
        return "vif", None, item.get("link")
    if info_kind == "veth":
        return "veth", None, item.get("link")
    if info_kind == "dummy":
        return "dummy", None, None
    if info_kind is None and (item.get("parentbus") == "xen-backend"):
        return "vif", None, None
    return ("physical" if info_kind is None else "other"), None, None


def parse_ip_links(text: str) -> list[Link]:
    """Parse ``ip -j -d link show`` (``-d`` gives kinds; without it kinds are guessed)."""
    links = []
    for item in _load_json(text, "ip -j -d link show"):
        try:
            name = str(item["ifname"])
            kind, vid, parent = classify(item)
            vif = _VIF.match(name)
            slave = (item.get("linkinfo") or {}).get("info_slave_data") or {}
            links.append(Link(
                name=name, kind=kind, mac=str(item.get("address", "")),
                state=str(item.get("operstate", "UNKNOWN")), mtu=int(item.get("mtu", 0)),
                ifindex=int(item.get("ifindex", 0)), admin_up="UP" in item.get("flags", []),
                master=item.get("master"), vlan_id=vid, parent=parent,
                domid=int(vif.group(1)) if vif else None,
                devid=int(vif.group(2)) if vif else None,
                port_state=slave.get("state")))
        except (KeyError, TypeError, ValueError) as e:
            raise ParseError(f"ip -j -d link show: record {item!r:.80} lacks {e}") from e
    return links


def bridges_from_ip(text: str, links: list[Link]) -> list[Bridge]:
    """The bridges in ``ip -j -d link show`` output, with STP and forward delay."""
    out = []
    for item in _load_json(text, "ip -j -d link show"):
        info = item.get("linkinfo") or {}
        if info.get("info_kind") != "bridge":
            continue
        data = info.get("info_data") or {}
        name = item["ifname"]
        out.append(Bridge(
            name=name, mac=item.get("address", ""), state=item.get("operstate", "UNKNOWN"),
            stp=bool(data.get("stp_state", 0)), bridge_id=str(data.get("bridge_id", "")),
            ports=tuple(ln.name for ln in links if ln.master == name),
            forward_delay=data.get("forward_delay")))
    return out


def parse_bridge_links(text: str) -> dict[str, tuple[str, str]]:
    """Parse ``bridge -j link show``: {port: (master, state)}."""
    return {str(p["ifname"]): (str(p.get("master", "")), str(p.get("state", "")))
            for p in _load_json(text, "bridge -j link show")}


def parse_brctl_show(text: str) -> dict[str, Bridge]:
    """Parse ``brctl show`` (bridge-utils' tab layout; continuation lines hold more ports)."""
    lines = text.splitlines()
    if not lines or not lines[0].startswith("bridge name"):
        raise ParseError("brctl show: missing the 'bridge name' header line")
    bridges: dict[str, dict[str, Any]] = {}
    current: dict[str, Any] | None = None
    for line in lines[1:]:
        if not line.strip():
            continue
        fields_ = line.split()
        if line[0] in "\t ":          # continuation: one more port
            if current is None:
                raise ParseError(f"brctl show: port line {line!r} before any bridge")
            current["ports"].append(fields_[0])
            continue
        if len(fields_) < 3:
            raise ParseError(f"brctl show: cannot read bridge line {line!r}")
        current = {"name": fields_[0], "bridge_id": fields_[1], "stp": fields_[2] == "yes",
                   "ports": fields_[3:4]}
        bridges[fields_[0]] = current
    return {n: Bridge(name=n, mac="", state="UNKNOWN", stp=b["stp"], bridge_id=b["bridge_id"],
                      ports=tuple(b["ports"])) for n, b in bridges.items()}


def build_state(ip_json: str, bridge_json: str | None = None, brctl_text: str | None = None,
                *, host: str = "", domains: Mapping[int, str] | None = None) -> NetState:
    """Combine the outputs into one NetState (pure; ``read_net`` runs the commands)."""
    links = parse_ip_links(ip_json)
    source = "ip"
    if bridge_json is not None:
        ports = parse_bridge_links(bridge_json)
        links = [replace(ln, master=ports[ln.name][0], port_state=ports[ln.name][1])
                 if ln.name in ports else ln for ln in links]
        source = "ip+bridge"
    bridges = bridges_from_ip(ip_json, links)
    if brctl_text is not None:
        source = "ip+brctl"
        by_brctl = parse_brctl_show(brctl_text)
        masters = {p: b.name for b in by_brctl.values() for p in b.ports}
        links = [replace(ln, master=masters.get(ln.name, ln.master)) for ln in links]
        known = {b.name for b in bridges}
        bridges = [replace(b, ports=by_brctl[b.name].ports, stp=by_brctl[b.name].stp)
                   if b.name in by_brctl else b for b in bridges]
        for name, b in by_brctl.items():
            if name not in known:
                link = next((ln for ln in links if ln.name == name), None)
                bridges.append(replace(b, mac=link.mac if link else "",
                                       state=link.state if link else "UNKNOWN"))
    net = NetState(tuple(links), tuple(bridges), host, source)
    return net.with_domains(domains) if domains else net


# -- reading a host --------------------------------------------------------------------------

def read_net(host: Host, domains: Mapping[int, str] | None = None) -> NetState:
    """Read the network facts of ``host`` (two read-only commands).

    ``domains`` maps Xen domain ids to names (from ``fxkit.xen.toolstack``), so that each
    ``vifN.M`` names its domU; without it vifs carry only their domid.
    """
    ip_out = host.run(["ip", "-j", "-d", "link", "show"], read_only=True).stdout
    br = host.run(["bridge", "-j", "link", "show"], read_only=True, check=False)
    if br.exit_status == 0 and br.stdout.strip().startswith("["):
        return build_state(ip_out, br.stdout, host=host.name, domains=domains)
    brctl = host.run(["brctl", "show"], read_only=True, check=False)
    if brctl.exit_status == 0:
        return build_state(ip_out, None, brctl.stdout, host=host.name, domains=domains)
    return build_state(ip_out, host=host.name, domains=domains)


@dataclass(frozen=True)
class ExternalNetwork:
    """A network outside the machine, reached through a dom0 NIC (tagged or not)."""

    name: str
    device: str
    vlan: int | None = None
    label: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False)


EXTERNAL_PATH = "/etc/fxkit/networks.json"


def parse_externals(text: str) -> list[ExternalNetwork]:
    """Parse the site's description of external networks (``/etc/fxkit/networks.json``)."""
    try:
        data = json.loads(text)
        return [ExternalNetwork(str(e["name"]), str(e["device"]),
                                int(e["vlan"]) if e.get("vlan") is not None else None,
                                str(e.get("label", "")))
                for e in data.get("external", [])]
    except (json.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as e:
        raise ParseError(f"{EXTERNAL_PATH}: {e}; expected "
                         '{"external": [{"name": ..., "device": "eth0", "vlan": null}]}') from e


def read_externals(host: Host) -> list[ExternalNetwork]:
    """The external networks described on the host, or [] when it has no description."""
    try:
        return parse_externals(host.read_file(EXTERNAL_PATH))
    except (FileNotFoundError, OSError):
        return []
