"""How iproute2 and bridge-utils see the lab's links: the kernel's per-link facts and the
JSON forms, field by field (the text forms, built from these, are in ``text``).

Formats follow iproute2 6.1 (``ip/ipaddress.c`` print_linkinfo, ``ip/iplink_bridge.c``,
``ip/iplink_bridge_slave.c``, ``ip/iplink_vlan.c``, ``bridge/link.c``) and bridge-utils
1.7 (``brctl/brctl_disp.c``), checked against the captures in tests/fixtures/bridge/.
"""

from __future__ import annotations

import json
import re
from typing import Any

from fxkit.lab.net.model import ZERO_MAC, NetLink, NetModel


class Num:
    """A number printed with a fixed format in JSON (iproute2 prints timers as %.2f)."""

    def __init__(self, text: str) -> None:
        self.text = text


# dump() is json's C encoder, compact. A Num goes through it as a string between two NULs,
# which no kernel name holds, and is then unquoted: "\u00000.00\u0000" becomes 0.00.
_NUM = "\0"
_compact = json.JSONEncoder(separators=(",", ":"),
                            default=lambda v: _NUM + v.text + _NUM).encode
_NUM_JSON = re.compile(r'"\\u0000([^"\\]*)\\u0000"')


def dump(value: Any) -> str:
    """Compact JSON exactly like iproute2's json_writer (no spaces)."""
    text = _compact(value)
    return _NUM_JSON.sub(r"\1", text) if "\\u0000" in text else text


def dump_pretty(value: Any) -> str:
    """``-p`` output: iproute2's json_writer in pretty mode (lib/json_writer.c)."""
    out: list[str] = []
    depth = 0
    sep = ""

    def eor() -> None:
        nonlocal sep
        out.append(sep)
        sep = ","

    def eol() -> None:
        out.append("\n" + "    " * depth)

    def emit(v: Any) -> None:
        nonlocal depth, sep
        if isinstance(v, dict):
            eor()
            out.append("{")
            depth, sep = depth + 1, ""
            for k, item in v.items():
                eor()
                eol()
                sep = ""
                out.append(json.dumps(k) + ": ")
                emit(item)
            depth -= 1
            if sep:
                eol()
            out.append("}")
            sep = ","
        elif isinstance(v, list):
            eor()
            out.append("[ ")
            depth, sep = depth + 1, ""
            for item in v:
                emit(item)
            out.append(" " if sep else "")
            depth, sep = depth - 1, ""
            out.append("]")
            sep = ","
        else:
            eor()
            out.append(dump(v))

    emit(value)
    return "".join(out)


def ether_ntoa(mac: str) -> str:
    """glibc's ether_ntoa: bytes as %x, so 00:00:... prints as 0:0:0:0:0:0."""
    return ":".join(f"{int(b, 16):x}" for b in mac.split(":"))


def timer(value: float) -> Num:
    return Num(f"{value:.2f}")


# -- per-link facts as the kernel reports them ---------------------------------------------

def operstate(model: NetModel, link: NetLink) -> str:
    if link.kind == "loopback":
        return "UNKNOWN" if link.up else "DOWN"
    if not link.up:
        return "DOWN"
    if model.oper_up(link):
        return "UNKNOWN" if link.kind == "dummy" else "UP"
    if link.kind in ("veth", "vlan"):
        return "LOWERLAYERDOWN"
    return "DOWN"


def flags(model: NetModel, link: NetLink) -> list[str]:
    if link.kind == "loopback":
        return ["LOOPBACK", "UP", "LOWER_UP"] if link.up else ["LOOPBACK"]
    # iproute2 adds M-DOWN whenever the IFLA_LINK device (veth peer, VLAN lower) is down
    lower = model.get(link.parent or "") if link.kind in ("veth", "vlan") else None
    m_down = ["M-DOWN"] if lower is not None and not lower.up else []
    if not link.up:
        return ["BROADCAST", "MULTICAST", *m_down]
    if model.oper_up(link) or link.kind == "dummy":
        return ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"]
    return ["NO-CARRIER", "BROADCAST", "MULTICAST", "UP", *m_down]


def qdisc(link: NetLink) -> str:
    if not (link.up or link.activated):   # never up: no qdisc attached yet
        return "noop"
    return {"physical": "mq", "vif": "mq", "tap": "fq_codel"}.get(link.kind, "noqueue")


def txqlen(link: NetLink) -> int:
    return 32 if link.kind == "vif" else 1000  # XENVIF_QUEUE_LENGTH


def shown_name(link: NetLink) -> str:
    """``veth0@veth0p``, ``eth0.42@eth0``: iproute2 appends the IFLA_LINK device."""
    if link.kind in ("veth", "vlan") and link.parent:
        return f"{link.name}@{link.parent}"
    return link.name


def mtu_range(link: NetLink) -> tuple[int, int]:
    return {"loopback": (0, 0), "physical": (68, 9000), "tap": (68, 65521),
            "vif": (68, 65517), "vlan": (0, 65535)}.get(link.kind, (68, 65535))


def tso_max(model: NetModel, link: NetLink) -> int:
    if link.kind == "bridge":
        ports = model.ports(link.name)
        return min((tso_max(model, p) for p in ports), default=65536)
    return {"veth": 524280, "loopback": 524280, "vlan": 65536}.get(link.kind, 65536)


def port_cost(link: NetLink) -> int:
    """STP path cost from the port's speed (``net/bridge/br_if.c``, port_cost)."""
    return {"veth": 2, "tap": 2, "physical": 4, "vlan": 4}.get(link.kind, 100)


def port_state(model: NetModel, link: NetLink) -> str:
    br = model.get(link.master or "")
    if br is None or not br.up or not model.oper_up(link):
        return "disabled"
    return "forwarding"


def gc_timer(model: NetModel, link: NetLink) -> float:
    if not link.up:
        return 0.0
    clock = getattr(model.state, "clock", 0) or 0
    return 300.0 - (clock % 3000) / 10.0


# -- ip -j [-d] link show --------------------------------------------------------------------

def link_json(model: NetModel, link: NetLink, detail: bool) -> dict[str, Any]:
    d: dict[str, Any] = {"ifindex": link.ifindex}
    if link.kind in ("veth", "vlan") and link.parent:
        d["link"] = link.parent
    d.update(ifname=link.name, flags=flags(model, link), mtu=link.mtu, qdisc=qdisc(link))
    if link.master:
        d["master"] = link.master
    loop = link.kind == "loopback"
    d.update(operstate=operstate(model, link), linkmode="DEFAULT", group="default",
             txqlen=txqlen(link), link_type="loopback" if loop else "ether",
             address=link.mac, broadcast=ZERO_MAC if loop else "ff:ff:ff:ff:ff:ff")
    if not detail:
        return d
    lo, hi = mtu_range(link)
    enslaved = 1 if link.master else 0
    d.update(promiscuity=enslaved, allmulti=enslaved, min_mtu=lo, max_mtu=hi)
    info = linkinfo(model, link)
    if info:
        d["linkinfo"] = info
    d.update(inet6_addr_gen_mode="eui64", num_tx_queues=link.queues, num_rx_queues=link.queues,
             gso_max_size=65536, gso_max_segs=65535, tso_max_size=tso_max(model, link),
             tso_max_segs=65535, gro_max_size=65536)
    if link.bus:
        d.update(parentbus=link.bus, parentdev=link.busdev or "")
    return d


def linkinfo(model: NetModel, link: NetLink) -> dict[str, Any]:
    info: dict[str, Any] = {}
    if link.kind == "bridge":
        info = {"info_kind": "bridge", "info_data": bridge_data(model, link)}
    elif link.kind == "veth":
        info = {"info_kind": "veth"}
    elif link.kind == "vlan":
        info = {"info_kind": "vlan", "info_data": {"protocol": "802.1Q", "id": link.vlan_id,
                                                   "flags": ["REORDER_HDR"]}}
    elif link.kind == "tap":
        info = {"info_kind": "tun", "info_data": {"type": "tap", "pi": False, "vnet_hdr": False,
                                                  "multi_queue": False, "persist": True}}
    elif link.kind == "dummy":
        info = {"info_kind": "dummy"}
    if link.master:
        info["info_slave_kind"] = "bridge"
        info["info_slave_data"] = slave_data(model, link)
    return info


def bridge_data(model: NetModel, br: NetLink) -> dict[str, Any]:
    bid = "8000." + ether_ntoa(br.bridge_id)
    return {
        "forward_delay": br.forward_delay, "hello_time": 200, "max_age": 2000,
        "ageing_time": 30000, "stp_state": 1 if br.stp else 0, "priority": 32768,
        "vlan_filtering": 0, "bridge_id": bid, "root_id": bid, "root_port": 0,
        "root_path_cost": 0, "topology_change": 0, "topology_change_detected": 0,
        "hello_timer": timer(0.0), "tcn_timer": timer(0.0), "topology_change_timer": timer(0.0),
        "gc_timer": timer(gc_timer(model, br)), "group_fwd_mask": "0",
        "group_addr": "01:80:c2:00:00:00", "mcast_snooping": 1, "no_linklocal_learn": 0,
        "mcast_vlan_snooping": 0, "mcast_router": 1, "mcast_query_use_ifaddr": 0,
        "mcast_querier": 0, "mcast_hash_elasticity": 16, "mcast_hash_max": 4096,
        "mcast_last_member_cnt": 2, "mcast_startup_query_cnt": 2,
        "mcast_last_member_intvl": 100, "mcast_membership_intvl": 26000,
        "mcast_querier_intvl": 25500, "mcast_query_intvl": 12500,
        "mcast_query_response_intvl": 1000, "mcast_startup_query_intvl": 3124,
        "mcast_stats_enabled": 0, "mcast_igmp_version": 2, "mcast_mld_version": 1,
        "nf_call_iptables": 0, "nf_call_ip6tables": 0, "nf_call_arptables": 0,
    }


def slave_data(model: NetModel, port: NetLink) -> dict[str, Any]:
    br = model.get(port.master or "")
    bid = "8000." + ether_ntoa(br.bridge_id if br else ZERO_MAC)
    no = port.port_no or 1
    return {
        "state": port_state(model, port), "priority": 32, "cost": port_cost(port),
        "hairpin": False, "guard": False, "root_block": False, "fastleave": False,
        "learning": True, "flood": True, "id": f"0x{0x8000 + no:x}", "no": f"0x{no:x}",
        "designated_port": 0x8000 + no, "designated_cost": 0, "bridge_id": bid,
        "root_id": bid, "hold_timer": timer(0.0), "message_age_timer": timer(0.0),
        "forward_delay_timer": timer(0.0), "topology_change_ack": 0, "config_pending": 0,
        "proxy_arp": False, "proxy_arp_wifi": False, "multicast_router": 1,
        "mcast_flood": True, "bcast_flood": True, "mcast_to_unicast": False,
        "neigh_suppress": False, "group_fwd_mask": "0", "group_fwd_mask_str": "0x0",
        "vlan_tunnel": False, "isolated": False, "locked": False,
    }


def bridge_port_json(model: NetModel, port: NetLink) -> dict[str, Any]:
    d: dict[str, Any] = {"ifindex": port.ifindex}
    if port.kind in ("veth", "vlan") and port.parent:
        d["link"] = port.parent
    d.update(ifname=port.name, flags=flags(model, port), mtu=port.mtu, master=port.master,
             state=port_state(model, port), priority=32, cost=port_cost(port))
    return d
