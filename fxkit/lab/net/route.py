"""The lab's ``ip route`` and ``ip addr add|del|flush``: IPv4 addresses and routes of dom0.

Connected routes follow the addresses of links that are up (``proto kernel scope link``);
other routes are kept in ``NetModel.routes`` and, as in the kernel, go away when their
device goes down or disappears. Formats: iproute2 6.1 ``ip/iproute.c``.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from fxkit.lab.net.model import NetLink, NetModel
from fxkit.lab.net.render import dump, dump_pretty, operstate

EEXIST = "RTNETLINK answers: File exists\n"


def parse_address(text: str) -> tuple[ipaddress.IPv4Interface, str | None]:
    """``"192.0.2.10/24"`` or ``"192.0.2.10/24 brd 192.0.2.255"`` as the model keeps them."""
    words = text.split()
    return ipaddress.IPv4Interface(words[0]), (words[2] if words[1:2] == ["brd"] else None)


def _linkdown(model: NetModel, dev: str) -> list[str]:
    link = model.get(dev)
    return [] if link is not None and operstate(model, link) in ("UP", "UNKNOWN") else [
        "linkdown"]


def connected(model: NetModel) -> list[dict[str, Any]]:
    """Routes the kernel adds for each address of an (administratively) up link."""
    out = []
    for link in model.links:
        if link.kind == "loopback" or not link.up:
            continue
        for text in link.addresses:
            iface, _ = parse_address(text)
            out.append({"dst": str(iface.network), "dev": link.name, "protocol": "kernel",
                        "scope": "link", "prefsrc": str(iface.ip),
                        "flags": _linkdown(model, link.name)})
    return out


def table(model: NetModel) -> list[dict[str, Any]]:
    static = []
    for r in model.routes:
        item: dict[str, Any] = {"dst": r["dst"]}
        if r.get("via"):
            item["gateway"] = r["via"]
        item["dev"] = r["dev"]
        item["flags"] = (["onlink"] if r.get("onlink") else []) + _linkdown(model, r["dev"])
        static.append(item)
    return sorted(static + connected(model), key=_order)


def _order(r: dict[str, Any]) -> tuple[int, int, int]:
    if r["dst"] == "default":
        return (0, 0, 0)
    net = ipaddress.ip_network(r["dst"])
    return (1, int(net.network_address), net.prefixlen)


def route_text(r: dict[str, Any]) -> str:
    out = r["dst"]
    if "gateway" in r:
        out += f" via {r['gateway']}"
    out += f" dev {r['dev']}"
    if "protocol" in r:
        out += f" proto {r['protocol']} scope {r['scope']} src {r['prefsrc']}"
    if r["flags"]:
        out += " " + " ".join(r["flags"])
    return out + " \n"


def ip_route(model: NetModel, opts: set[str], args: list[str]) -> tuple[int, str, str]:
    cmd = args[0] if args else "show"
    rest = args[1:]
    if cmd in ("show", "list", "lst", "ls"):
        routes = table(model)
        if "-j" in opts:
            return 0, (dump_pretty(routes) if "-p" in opts else dump(routes)) + "\n", ""
        return 0, "".join(route_text(r) for r in routes), ""
    if cmd in ("add", "del", "delete", "replace"):
        return _route_change(model, cmd, rest)
    return 255, "", f'Command "{cmd}" is unknown, try "ip route help".\n'


def _route_change(model: NetModel, cmd: str, args: list[str]) -> tuple[int, str, str]:
    if not args:
        return 255, "", 'Command line is not complete. Try option "help"\n'
    dst = args[0] if args[0] == "default" else str(ipaddress.ip_network(args[0], strict=False))
    words = dict(zip(args[1::2], args[2::2], strict=False))
    onlink = "onlink" in args
    via, dev = words.get("via"), words.get("dev")
    if dev is not None and model.get(dev) is None:
        return 1, "", f'Cannot find device "{dev}"\n'
    found = [r for r in model.routes if r["dst"] == dst]
    if cmd in ("del", "delete"):
        if not found:
            return 2, "", "RTNETLINK answers: No such process\n"
        model.routes.remove(found[0])
        model._tick()
        return 0, "", ""
    if found and cmd == "add":
        return 2, "", EEXIST
    if dev is None and via is not None:
        dev = next((r["dev"] for r in connected(model)
                    if ipaddress.ip_address(via) in ipaddress.ip_network(r["dst"])), None)
    if dev is None:
        return 2, "", "Error: Nexthop has invalid gateway.\n"
    if via and not onlink and not any(
            r["dev"] == dev and ipaddress.ip_address(via) in ipaddress.ip_network(r["dst"])
            for r in connected(model)):
        return 2, "", "Error: Nexthop has invalid gateway.\n"
    for r in found:
        model.routes.remove(r)
    model.routes.append({"dst": dst, "via": via, "dev": dev, "onlink": onlink})
    model._tick()
    return 0, "", ""


def ip_addr_change(model: NetModel, cmd: str, args: list[str]) -> tuple[int, str, str]:
    """``ip addr add|del ADDR dev DEV`` and ``ip addr flush dev DEV``."""
    words = dict(zip(args[1::2], args[2::2], strict=False)) if cmd != "flush" else {}
    name = words.get("dev") if cmd != "flush" else (args[1] if args[:1] == ["dev"] else
                                                     (args[0] if args else None))
    if name is None:
        return 255, "", 'Not enough information: "dev" argument is required.\n'
    link = model.get(name)
    if link is None:
        return 1, "", f'Cannot find device "{name}"\n'
    if cmd == "flush":
        link.addresses = []
        model._tick()
        return 0, "", ""
    try:
        iface = ipaddress.IPv4Interface(args[0])
    except (ValueError, IndexError):
        return 1, "", f'Error: inet prefix is expected rather than "{args[0] if args else ""}".\n'
    brd = words.get("brd", words.get("broadcast"))
    if brd == "+":
        brd = str(iface.network.broadcast_address)
    text = f"{iface.ip}/{iface.network.prefixlen}" + (f" brd {brd}" if brd else "")
    return _add(model, link, text) if cmd == "add" else _del(model, link, iface)


def _add(model: NetModel, link: NetLink, text: str) -> tuple[int, str, str]:
    new, _ = parse_address(text)
    if any(parse_address(a)[0] == new for a in link.addresses):
        return 2, "", "Error: ipv4: Address already assigned.\n"
    link.addresses.append(text)
    model._tick()
    return 0, "", ""


def _del(model: NetModel, link: NetLink, iface: ipaddress.IPv4Interface) -> tuple[int, str, str]:
    found = [a for a in link.addresses if parse_address(a)[0] == iface]
    if not found:
        return 2, "", "Error: ipv4: Address not found.\n"
    link.addresses.remove(found[0])
    if not link.addresses:   # fib_del_ifaddr: the last address gone, routes via it go too
        model.routes = [r for r in model.routes if r.get("dev") != link.name]
    model._tick()
    return 0, "", ""
