"""The lab's ``ifup`` and ``ifdown``: bring interfaces up from the lab's ifupdown files.

Enough of Debian's ifupdown with the bridge-utils and vlan hooks for a trainee to see a
persisted bridge come back (``ifup xenbr1``, ``ifup -a`` as at boot): VLAN stanzas
create the sub-interface, bridge stanzas create the bridge and plug ``bridge_ports``,
``ifdown`` of a bridge deletes it (bridge-utils' post-down hook does ``brctl delbr``).
"""

from __future__ import annotations

import fnmatch
import ipaddress

from fxkit.errors import ParseError
from fxkit.lab.net.model import NetModel
from fxkit.lab.shell.base import Call, Output
from fxkit.net.ifupdown import MAIN, Stanza, parse_interfaces


def _stanzas(call: Call) -> list[Stanza]:
    files = call.state.files
    main = files.get(MAIN)
    if main is None:
        return []
    stanzas, sources = parse_interfaces(main.content, MAIN)
    for pattern in sources:
        for path in sorted(p for p in files if fnmatch.fnmatch(p, pattern) and p != MAIN):
            stanzas += parse_interfaces(files[path].content, path)[0]
    return stanzas


def _up(model: NetModel, stanzas: dict[str, Stanza], name: str, out: list[str]) -> bool:
    s = stanzas.get(name)
    link = model.get(name)
    if s is not None and s.vlan is not None and link is None:
        raw, vid = s.vlan
        lower = model.get(raw)
        if lower is None:
            out.append(f'Cannot find device "{raw}"\nifup: failed to bring up {name}\n')
            return False
        lower.up = True
        link = model.add(name, "vlan", mac=lower.mac, up=False, vlan_id=vid, parent=raw)
    if s is not None and s.bridge_ports is not None:
        if link is None:
            link = model.add(name, "bridge", up=False)
        link.stp = s.stp
        link.forward_delay = int(float(s.get("bridge_fd") or 15) * 100)
        for port in s.bridge_ports:
            if model.get(port) is None and not (port in stanzas and _up(model, stanzas, port,
                                                                        out)):
                out.append(f"interface {port} does not exist!\n")
                continue
            p = model.get(port)
            if p is not None:
                if p.master != name:
                    model.set_master(port, name)
                p.up = True
    if link is None:
        out.append(f'Cannot find device "{name}"\nifup: failed to bring up {name}\n')
        return False
    link.up = True
    link.activated = True
    if s is not None and s.method == "static" and s.get("address"):
        _static(model, s, name)
    model._tick()
    return True


def _static(model: NetModel, s: Stanza, name: str) -> None:
    """ifupdown's inet static: ``ip addr add ADDR broadcast + dev``, then the gateway."""
    addr = str(s.get("address"))
    if "/" not in addr:
        addr += "/" + str(ipaddress.IPv4Network(f"0.0.0.0/{s.get('netmask') or 32}").prefixlen)
    iface = ipaddress.IPv4Interface(addr)
    text = f"{iface.ip}/{iface.network.prefixlen} brd {iface.network.broadcast_address}"
    link = model.get(name)
    if link is not None and text not in link.addresses:
        link.addresses.append(text)
    gateway = s.get("gateway")
    if gateway and not any(r["dst"] == "default" for r in model.routes):
        model.routes.append({"dst": "default", "via": gateway, "dev": name, "onlink": True})


def ifup(call: Call) -> Output:
    try:
        stanzas = {s.name: s for s in _stanzas(call)}
        autos = [s.name for s in _stanzas(call) if s.auto]
    except ParseError as e:
        return 1, "", f"ifup: {e}\n"
    names = [a for a in call.args if not a.startswith("-")]
    if "-a" in call.args or "--all" in call.args:
        names = autos
    if not names:
        return 1, "", "ifup: no interface(s) specified\n"
    model: NetModel = call.state.net
    errors: list[str] = []
    status = 0
    for name in names:
        if name not in stanzas:
            errors.append(f"ifup: unknown interface {name}\n")
            status = 1
            continue
        link = model.get(name)
        if link is not None and link.up and "-a" not in call.args:
            errors.append(f"ifup: interface {name} already configured\n")
            continue
        if not _up(model, stanzas, name, errors):
            status = 1
    return status, "", "".join(errors)


def ifdown(call: Call) -> Output:
    try:
        stanzas = {s.name: s for s in _stanzas(call)}
    except ParseError as e:
        return 1, "", f"ifdown: {e}\n"
    model: NetModel = call.state.net
    names = [a for a in call.args if not a.startswith("-")]
    if not names:
        return 1, "", "ifdown: no interface(s) specified\n"
    errors = []
    for name in names:
        link = model.get(name)
        s = stanzas.get(name)
        if link is None or not link.up or s is None:
            errors.append(f"ifdown: interface {name} not configured\n")
            continue
        link.up = False
        if s.method == "static":
            link.addresses = []
        if s.bridge_ports is not None or s.vlan is not None:
            model.delete(name)
        model._tick()
    return 0, "", "".join(errors)
