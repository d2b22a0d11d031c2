"""How iproute2 and bridge-utils print the lab's links as text (``ip link``, ``ip -d``,
``ip -br``, ``bridge link``, ``brctl show``); the JSON forms and per-link facts are in
``render``, whose dictionaries these lines are made from.

Formats follow iproute2 6.1 (``ip/ipaddress.c`` print_linkinfo, ``bridge/link.c``) and
bridge-utils 1.7 (``brctl/brctl_disp.c``), checked against tests/fixtures/bridge/.
"""

from __future__ import annotations

from typing import Any

from fxkit.lab.net.model import NetLink, NetModel
from fxkit.lab.net.render import Num, flags, link_json, port_cost, port_state, shown_name


def link_text(model: NetModel, link: NetLink, detail: bool, addr: bool = False) -> str:
    d = link_json(model, link, detail)
    master = f"master {link.master} " if link.master else ""
    mode = "" if addr else "mode DEFAULT "
    out = (f"{link.ifindex}: {shown_name(link)}: <{','.join(d['flags'])}> mtu {link.mtu} "
           f"qdisc {d['qdisc']} {master}state {d['operstate']} {mode}group default "
           f"qlen {d['txqlen']}\n    link/{d['link_type']} {link.mac} brd {d['broadcast']}")
    if not detail:
        return out + "\n"
    out += (f" promiscuity {d['promiscuity']}  allmulti {d['allmulti']} "
            f"minmtu {d['min_mtu']} maxmtu {d['max_mtu']} ")
    info = d.get("linkinfo", {})
    if info.get("info_kind") == "bridge":
        out += "\n    bridge " + _bridge_opts(info["info_data"])
    elif info.get("info_kind") == "vlan":
        out += f"\n    vlan protocol 802.1Q id {link.vlan_id} <REORDER_HDR> "
    elif info.get("info_kind") == "tun":
        out += "\n    tun type tap pi off vnet_hdr off persist on "
    elif info.get("info_kind"):
        out += f"\n    {info['info_kind']} "
    if "info_slave_data" in info:
        s = info["info_slave_data"]
        out += (f"\n    bridge_slave state {s['state']} priority 32 cost {s['cost']} hairpin off "
                "guard off root_block off fastleave off learning on flood on "
                f"port_id {s['id']} port_no {s['no']} designated_port {s['designated_port']} "
                f"designated_cost 0 designated_bridge {s['bridge_id']} "
                f"designated_root {s['root_id']} hold_timer    0.00 message_age_timer    0.00 "
                "forward_delay_timer    0.00 topology_change_ack 0 config_pending 0 "
                "proxy_arp off proxy_arp_wifi off mcast_router 1 mcast_fast_leave off "
                "mcast_flood on bcast_flood on mcast_to_unicast off neigh_suppress off "
                "group_fwd_mask 0 group_fwd_mask_str 0x0 vlan_tunnel off isolated off locked off ")
    out += (f"addrgenmode eui64 numtxqueues {link.queues} numrxqueues {link.queues} "
            f"gso_max_size 65536 gso_max_segs 65535 tso_max_size {d['tso_max_size']} "
            "tso_max_segs 65535 gro_max_size 65536 ")
    if link.bus:
        out += f"parentbus {link.bus} parentdev {link.busdev} "
    return out + "\n"


_TEXT_NAMES = {"root_id": "designated_root", "group_addr": "group_address",
               "mcast_last_member_cnt": "mcast_last_member_count",
               "mcast_startup_query_cnt": "mcast_startup_query_count"}


def _bridge_opts(data: dict[str, Any]) -> str:
    parts = []
    for key, value in data.items():
        name = _TEXT_NAMES.get(key, key.replace("_intvl", "_interval"))
        if isinstance(value, Num):
            parts.append(f"{name} {float(value.text):7.2f}")
        else:
            parts.append(f"{name} {value}")
    return " ".join(parts) + " "


def brief_line(model: NetModel, link: NetLink) -> str:
    d = link_json(model, link, False)
    return (f"{shown_name(link):<16} {d['operstate']:<14} {link.mac} "
            f"<{','.join(d['flags'])}> \n")


def bridge_port_text(model: NetModel, port: NetLink) -> str:
    return (f"{port.ifindex}: {shown_name(port)}: <{','.join(flags(model, port))}> "
            f"mtu {port.mtu} master {port.master} state {port_state(model, port)} "
            f"priority 32 cost {port_cost(port)} \n")


def brctl_bridge(model: NetModel, br: NetLink) -> str:
    """One bridge of ``brctl show``: name, id, STP, then one port per line."""
    bid = "8000." + br.bridge_id.replace(":", "")
    ports = sorted(p.name for p in model.ports(br.name))
    head = f"{br.name}\t\t{bid}\t{'yes' if br.stp else 'no'}\t\t"
    if not ports:
        return head + "\n"
    return head + ports[0] + "\n" + "".join(f"\t\t\t\t\t\t\t{p}\n" for p in ports[1:])


BRCTL_HEADER = "bridge name\tbridge id\t\tSTP enabled\tinterfaces\n"
