"""Drift: where the live bridges and the ifupdown files disagree (what a reboot would change).

    >>> for d in check_drift(read_net(fx), read_persisted(fx)):    # doctest: +SKIP
    ...     print(d)
    xenbr1: port eth0.42 is live but not in bridge_ports (...)
"""

from __future__ import annotations

from dataclasses import dataclass

from fxkit.net.plans import GUEST_KINDS, Persisted
from fxkit.net.state import NetState


@dataclass(frozen=True)
class Drift:
    """One disagreement; ``kind`` is one of the constants below."""

    kind: str
    name: str
    message: str

    def __str__(self) -> str:
        return f"{self.name}: {self.message}"


NOT_LIVE = "persisted-not-live"        # in the files, missing on the host
NOT_PERSISTED = "live-not-persisted"   # on the host, gone after a reboot
PORTS = "ports"
STP = "stp"
FORWARD_DELAY = "forward-delay"
VLAN = "vlan"


def _guest(net: NetState, port: str) -> bool:
    link = net.link(port)
    return (link is not None and link.kind in GUEST_KINDS) or port.startswith("vif")


def check_drift(net: NetState, persisted: Persisted) -> list[Drift]:
    """Compare bridges, their non-guest ports, STP and VLAN sub-interfaces."""
    out: list[Drift] = []
    stanzas = {s.name: s for s in persisted.bridges()}
    for name, s in sorted(stanzas.items()):
        br = net.bridge(name)
        if br is None:
            out.append(Drift(NOT_LIVE, name, f"defined in {s.path} but not on the host; "
                             f"bring it up (ifup {name}) or delete the stanza"))
            continue
        want = set(s.bridge_ports or [])
        have = {p for p in br.ports if not _guest(net, p)}
        for port in sorted(want - have):
            out.append(Drift(PORTS, name, f"bridge_ports in {s.path} lists {port}, which is not "
                             f"plugged in live (ip link set dev {port} master {name})"))
        for port in sorted(have - want):
            out.append(Drift(PORTS, name, f"port {port} is live but not in bridge_ports of "
                             f"{s.path}; it will be missing after a reboot"))
        fd = s.get("bridge_fd")
        if fd is not None and br.forward_delay is not None and round(float(fd) * 100) != \
                br.forward_delay:
            out.append(Drift(FORWARD_DELAY, name, f"forward delay is {br.forward_delay / 100:g}s "
                             f"live but bridge_fd {fd} in {s.path}"))
        if s.stp != br.stp:
            out.append(Drift(STP, name, f"STP is {'on' if br.stp else 'off'} live but "
                             f"bridge_stp {'on' if s.stp else 'off'} in {s.path}"))
    for s in persisted.stanzas:
        vlan = s.vlan
        if vlan is None:
            continue
        link = net.link(s.name)
        if link is None:
            out.append(Drift(NOT_LIVE, s.name, f"VLAN {vlan[1]} on {vlan[0]} is defined in "
                             f"{s.path} but not on the host (ifup {s.name})"))
        elif link.kind != "vlan" or (link.parent, link.vlan_id) != vlan:
            out.append(Drift(VLAN, s.name, f"live it is {link.kind} "
                             f"{link.parent or ''} {link.vlan_id or ''}".rstrip() +
                             f", but {s.path} says VLAN {vlan[1]} on {vlan[0]}"))
    for br in net.bridges:
        if br.name not in stanzas:
            out.append(Drift(NOT_PERSISTED, br.name, "live bridge with no ifupdown stanza: it "
                             "vanishes at the next reboot (fxkit net plan-bridge persists it)"))
    for link in net.links:
        if link.kind == "vlan" and persisted.stanza(link.name) is None and link.master:
            out.append(Drift(NOT_PERSISTED, link.name, f"live VLAN {link.vlan_id} on "
                             f"{link.parent} with no ifupdown stanza"))
    return out
