"""Network facts of a dom0: links, bridges and their ports, vifs mapped to domUs.

Two commands, both machine-readable: ``ip -j -d link show`` (every link, its kind,
MAC, state, MTU, master, VLAN id) and ``bridge -j link show`` (port states); hosts
without the ``bridge`` tool fall back to ``brctl show``::

    >>> net = read_net(connect("lab"), domains={1: "titanic"})      # doctest: +SKIP
    >>> net.bridge("xenbr0").ports
    ('eth0', 'vif1.0', 'vif2.0', 'vif3.0')
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from fxkit.errors import ParseError
from fxkit.excerpt import excerpt
from fxkit.jsonfields import (
    BadField,
    int_field,
    load_json,
    object_field,
    record_error,
    text_field,
)

if TYPE_CHECKING:
    from fxkit.host import Host

LINK_KINDS = ("loopback", "physical", "bridge", "vif", "tap", "veth", "vlan", "dummy", "other")
# Xen's netback names the dom0 end of guest NIC M of domain N "vifN.M"; HVM guests also
# get an emulated twin "vifN.M-emu" (a tap). See Xen's tools/hotplug/Linux/vif-common.sh.
_VIF = re.compile(r"vif([0-9]+)\.([0-9]+)(-emu)?\Z")


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
    data = load_json(text or "[]", what, "is iproute2 older than 4.13? fxkit needs `ip -j`")
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise ParseError(f"{what}: expected a JSON list of objects, got {excerpt(data)}")
    return data


def classify(item: Mapping[str, Any]) -> tuple[str, int | None, str | None]:
    """(kind, vlan id, parent) of one ``ip -j -d link`` record."""
    try:
        return _classify(item)
    except BadField as e:
        raise record_error("ip -j -d link show", item, e) from None


def _classify(item: Mapping[str, Any]) -> tuple[str, int | None, str | None]:
    name = text_field(item, "ifname", "")
    info = object_field(item, "linkinfo")
    info_kind = text_field(info, "info_kind")
    data = object_field(info, "info_data")
    vif = _VIF.match(name)
    link = text_field(item, "link")
    if text_field(item, "link_type") == "loopback":
        return "loopback", None, None
    if info_kind == "vlan":
        return "vlan", int_field(data, "id"), link
    if info_kind == "bridge":
        return "bridge", None, None
    if info_kind == "tun":
        return ("tap" if text_field(data, "type", "tap") == "tap" else "other"), None, None
    if vif and not vif.group(3) and info_kind in (None, "veth"):
        # real netback vifs have no info_kind; test rigs stand them in with veth pairs
        return "vif", None, link
    if info_kind == "veth":
        return "veth", None, link
    if info_kind == "dummy":
        return "dummy", None, None
    if info_kind is None and (text_field(item, "parentbus") == "xen-backend"):
        return "vif", None, None
    return ("physical" if info_kind is None else "other"), None, None


def parse_ip_links(text: str) -> list[Link]:
    """Parse ``ip -j -d link show`` (``-d`` gives kinds; without it kinds are guessed)."""
    links = []
    for item in _load_json(text, "ip -j -d link show"):
        try:
            name = text_field(item, "ifname")
            if not name:
                raise BadField("it has no ifname")
            kind, vid, parent = _classify(item)
            vif = _VIF.match(name)
            slave = object_field(object_field(item, "linkinfo"), "info_slave_data")
            flags = item.get("flags", [])
            if not isinstance(flags, list) or not all(isinstance(f, str) for f in flags):
                raise BadField(f"flags is {excerpt(flags, 30)}, not a list of strings")
            links.append(Link(
                name=name, kind=kind, mac=text_field(item, "address", ""),
                state=text_field(item, "operstate", "UNKNOWN"), mtu=int_field(item, "mtu", 0),
                ifindex=int_field(item, "ifindex", 0), admin_up="UP" in flags,
                master=text_field(item, "master"), vlan_id=vid, parent=parent,
                domid=int(vif.group(1)) if vif else None,
                devid=int(vif.group(2)) if vif else None,
                port_state=text_field(slave, "state")))
        except (BadField, ValueError) as e:
            raise record_error("ip -j -d link show", item, e) from None
    return links


def bridges_from_ip(text: str, links: list[Link]) -> list[Bridge]:
    """The bridges in ``ip -j -d link show`` output, with STP and forward delay."""
    out = []
    for item in _load_json(text, "ip -j -d link show"):
        try:
            info = object_field(item, "linkinfo")
            if text_field(info, "info_kind") != "bridge":
                continue
            data = object_field(info, "info_data")
            name = text_field(item, "ifname")
            if not name:
                raise BadField("it has no ifname")
            stp = data.get("stp_state", 0)
            if type(stp) not in (int, bool):
                raise BadField(f"stp_state is {excerpt(stp, 30)}, not a number")
            bridge_id = data.get("bridge_id", "")
            if not isinstance(bridge_id, (str, int)) or isinstance(bridge_id, bool):
                raise BadField(f"bridge_id is {excerpt(bridge_id, 30)}")
            out.append(Bridge(
                name=name, mac=text_field(item, "address", ""),
                state=text_field(item, "operstate", "UNKNOWN"), stp=bool(stp),
                bridge_id=str(bridge_id), ports=tuple(ln.name for ln in links if ln.master == name),
                forward_delay=int_field(data, "forward_delay")))
        except BadField as e:
            raise record_error("ip -j -d link show", item, e) from None
    return out


def parse_bridge_links(text: str) -> dict[str, tuple[str, str]]:
    """Parse ``bridge -j link show``: {port: (master, state)}."""
    out = {}
    for p in _load_json(text, "bridge -j link show"):
        try:
            name = text_field(p, "ifname")
            if not name:
                raise BadField("it has no ifname")
            out[name] = (text_field(p, "master", ""), text_field(p, "state", ""))
        except BadField as e:
            raise record_error("bridge -j link show", p, e) from None
    return out


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
                raise ParseError(f"brctl show: port line {excerpt(line)} before any bridge")
            current["ports"].append(fields_[0])
            continue
        if len(fields_) < 3:
            raise ParseError(f"brctl show: cannot read bridge line {excerpt(line)}")
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

# What read_net sends (together) first: for Host.reads_ahead
NET_READS = (("ip", "-j", "-d", "link", "show"), ("bridge", "-j", "link", "show"))


def read_net(host: Host, domains: Mapping[int, str] | None = None) -> NetState:
    """Read the network facts of ``host`` (two read-only commands, sent together; a third,
    ``brctl show``, where ``bridge`` cannot answer).

    ``domains`` maps Xen domain ids to names (from ``fxkit.xen.toolstack``), so that each
    ``vifN.M`` names its domU; without it vifs carry only their domid.
    """
    ip, br = host.run_reads(NET_READS, check=(True, False))
    ip_out = ip.stdout
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
    expected = '{"external": [{"name": ..., "device": "eth0", "vlan": null}]}'
    data = load_json(text, EXTERNAL_PATH, f"expected {expected}")
    entries = data.get("external", []) if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ParseError(f"{EXTERNAL_PATH}: expected {expected}, got {excerpt(data)}")
    out = []
    for e in entries:
        try:
            if not isinstance(e, dict):
                raise BadField("it is not an object")
            name, device = text_field(e, "name"), text_field(e, "device")
            vlan = int_field(e, "vlan")
            if not name or not device or vlan is not None and not 0 <= vlan <= 4095:
                raise BadField("it needs a name, a device and a VLAN id from 0 to 4095 or null")
            out.append(ExternalNetwork(name, device, vlan, text_field(e, "label", "")))
        except BadField as err:
            raise ParseError(f"{EXTERNAL_PATH}: network {excerpt(e)}: {err}; expected "
                             f"{expected}") from None
    return out


def read_externals(host: Host) -> list[ExternalNetwork]:
    """The external networks described on the host, or [] when it has no description."""
    try:
        return parse_externals(host.read_file(EXTERNAL_PATH))
    except (FileNotFoundError, OSError):
        return []
