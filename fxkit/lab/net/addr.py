"""How ``ip addr`` prints the lab's addresses: IPv4 from the model, IPv6 link-local from EUI-64."""

from __future__ import annotations

import ipaddress
from typing import Any

from fxkit.lab.net.model import NetLink, NetModel
from fxkit.lab.net.render import link_json, operstate, shown_name
from fxkit.lab.net.text import link_text

FOREVER = 4294967295


def addr_info(model: NetModel, link: NetLink) -> list[dict[str, Any]]:
    """Addresses as ``ip -j addr`` lists them: IPv4 first, then IPv6 (link-local from EUI-64)."""
    out: list[dict[str, Any]] = []
    life = {"valid_life_time": FOREVER, "preferred_life_time": FOREVER}
    loop = link.kind == "loopback"
    if loop and link.up:
        out.append({"family": "inet", "local": "127.0.0.1", "prefixlen": 8, "scope": "host",
                    "label": "lo", **life})
    for text in link.addresses:
        words = text.split()
        iface = ipaddress.ip_interface(words[0])
        entry: dict[str, Any] = {"family": "inet", "local": str(iface.ip),
                                 "prefixlen": iface.network.prefixlen}
        if words[1:2] == ["brd"]:
            entry["broadcast"] = words[2]
        out.append({**entry, "scope": "global", "label": link.name, **life})
    if loop and link.up:
        out.append({"family": "inet6", "local": "::1", "prefixlen": 128, "scope": "host", **life})
    elif not loop and link.up and (link.ll_mac or operstate(model, link) == "UP"):
        b = bytes.fromhex((link.ll_mac or link.mac).replace(":", ""))
        eui = bytes([b[0] ^ 0x02, b[1], b[2], 0xFF, 0xFE, b[3], b[4], b[5]])
        local = ipaddress.IPv6Address(b"\xfe\x80" + bytes(6) + eui)
        out.append({"family": "inet6", "local": str(local), "prefixlen": 64, "scope": "link",
                    **life})
    return out


def addr_json(model: NetModel, link: NetLink, detail: bool) -> dict[str, Any]:
    d = link_json(model, link, detail)
    d.pop("linkmode", None)
    d["addr_info"] = addr_info(model, link)
    return d


def addr_text(model: NetModel, link: NetLink, detail: bool) -> str:
    lines = link_text(model, link, detail, addr=True)
    for a in addr_info(model, link):
        if a["family"] == "inet":
            brd = f"brd {a['broadcast']} " if "broadcast" in a else ""
            lines += (f"    inet {a['local']}/{a['prefixlen']} {brd}scope {a['scope']} "
                      f"{a['label']}\n")
        else:
            lines += f"    inet6 {a['local']}/{a['prefixlen']} scope {a['scope']} \n"
        lines += "       valid_lft forever preferred_lft forever\n"
    return lines


def addr_brief(model: NetModel, link: NetLink) -> str:
    addrs = "".join(f"{a['local']}/{a['prefixlen']} " for a in addr_info(model, link))
    return f"{shown_name(link):<16} {operstate(model, link):<14} {addrs}\n"
