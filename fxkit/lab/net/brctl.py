"""The lab's ``bridge`` (iproute2) and ``brctl`` (bridge-utils) commands."""

from __future__ import annotations

from fxkit.lab.net import render as r
from fxkit.lab.net import text as net_text
from fxkit.lab.net.model import NetModel
from fxkit.lab.shell.base import Call, Output

_DETAIL_TEXT = ("    hairpin off guard off root_block off fastleave off learning on flood on "
                "mcast_flood on bcast_flood on mcast_router 1 mcast_to_unicast off "
                "neigh_suppress off vlan_tunnel off isolated off locked off \n")
_DETAIL_JSON = {"hairpin": False, "guard": False, "root_block": False, "fastleave": False,
                "learning": True, "flood": True, "mcast_flood": True, "bcast_flood": True,
                "mcast_router": 1, "mcast_to_unicast": False, "neigh_suppress": False,
                "vlan_tunnel": False, "isolated": False, "locked": False}


def _opts(args: list[str]) -> tuple[set[str], list[str]]:
    opts: set[str] = set()
    while args and args[0].startswith("-"):
        a = args.pop(0)
        opts.add({"-json": "-j", "-details": "-d", "-pretty": "-p"}.get(a, a))
    return opts, args


def bridge(call: Call) -> Output:
    opts, args = _opts(list(call.args))
    model: NetModel = call.state.net
    if not args:
        return 255, "", "Usage: bridge [ OPTIONS ] OBJECT { COMMAND | help }\n"
    obj, cmd, rest = args[0], (args[1:2] or ["show"])[0], args[2:]
    if obj == "link" and cmd == "set":
        words = rest[1:] if rest[:1] == ["dev"] else rest
        if not words or model.get(words[0]) is None:
            return 255, "", f'Cannot find bridge device "{words[0] if words else ""}"\n'
        return 0, "", ""
    if obj == "link" and cmd in ("show", "list", "lst", "ls"):
        ports = [ln for ln in model.links if ln.master]
        if rest[:1] == ["dev"] and len(rest) > 1:
            if model.get(rest[1]) is None:
                return 1, "", f'Cannot find device "{rest[1]}"\n'
            ports = [p for p in ports if p.name == rest[1]]
        if "-j" in opts:
            items = [r.bridge_port_json(model, p) | (_DETAIL_JSON if "-d" in opts else {})
                     for p in ports]
            return 0, (r.dump_pretty(items) if "-p" in opts else r.dump(items)) + "\n", ""
        text = "".join(net_text.bridge_port_text(model, p) + (_DETAIL_TEXT if "-d" in opts else "")
                       for p in ports)
        return 0, text, ""
    if obj == "vlan" and cmd in ("show", "list"):
        # The lab kernel, like the fixtures', has no bridge VLAN filtering.
        return 0, ("[]\n" if "-j" in opts else "port              vlan-id  \n"), ""
    if obj == "vlan" and cmd in ("add", "del"):
        return 255, "", "RTNETLINK answers: Operation not supported\n"
    return 255, "", f'Object "{obj}" is unknown, try "bridge help".\n'


def brctl(call: Call) -> Output:
    args = list(call.args)
    model: NetModel = call.state.net
    if not args:
        return 1, _BRCTL_USAGE, ""
    cmd, rest = args[0], args[1:]
    if cmd == "show":
        return _show(model, rest)
    if cmd in ("addbr", "delbr") and len(rest) == 1:
        return (_addbr if cmd == "addbr" else _delbr)(model, rest[0])
    if cmd in ("addif", "delif") and len(rest) >= 2:
        for dev in rest[1:]:
            out = _addif(model, rest[0], dev) if cmd == "addif" else _delif(model, rest[0], dev)
            if out[0]:
                return out
        return 0, "", ""
    if cmd == "stp" and len(rest) == 2:
        br = model.get(rest[0])
        if br is None or not br.is_bridge:
            return 1, "", "set stp status failed: No such device\n"
        br.stp = rest[1] in ("on", "yes", "1")
        model._tick()
        return 0, "", ""
    if cmd == "setfd" and len(rest) == 2:
        br = model.get(rest[0])
        if br is None or not br.is_bridge:
            return 1, "", "set forward delay failed: No such device\n"
        delay = int(float(rest[1]) * 100)
        if br.stp and not 200 <= delay <= 3000:
            return 1, "", "set forward delay failed: Numerical result out of range\n"
        br.forward_delay = delay
        return 0, "", ""
    return 1, "", f"never heard of command [{cmd}]\n" + _BRCTL_USAGE


def _show(model: NetModel, names: list[str]) -> Output:
    bridges = sorted(model.bridges(), key=lambda b: b.name)
    if names:
        for name in names:
            if not model.has_bridge(name):
                return 1, "", f"bridge {name} does not exist!\n"
        bridges = [b for b in bridges if b.name in names]
    return 0, net_text.BRCTL_HEADER + "".join(net_text.brctl_bridge(model, b) for b in bridges), ""


def _addbr(model: NetModel, name: str) -> Output:
    if model.get(name) is not None:
        return 1, "", f"device {name} already exists; can't create bridge with the same name\n"
    if len(name) > 15 or "/" in name or not name:
        return 1, "", f"bridge name {name} is too long\n"
    model.add(name, "bridge", up=False)
    return 0, "", ""


def _delbr(model: NetModel, name: str) -> Output:
    br = model.get(name)
    if br is None:
        return 1, "", f"bridge {name} doesn't exist; can't delete it\n"
    if not br.is_bridge:
        return 1, "", f"can't delete bridge {name}: Operation not permitted\n"
    if br.up:
        return 1, "", f"bridge {name} is still up; can't delete it\n"
    model.delete(name)
    return 0, "", ""


def _addif(model: NetModel, brname: str, dev: str) -> Output:
    link = model.get(dev)
    if link is None:
        return 1, "", f"interface {dev} does not exist!\n"
    if not model.has_bridge(brname):
        return 1, "", f"bridge {brname} does not exist!\n"
    if link.master is not None:
        return 1, "", (f"device {dev} is already a member of a bridge; "
                       f"can't add it to bridge {brname}.\n")
    if link.is_bridge:
        return 1, "", (f"device {dev} is a bridge device itself; "
                       "can't add a bridge device to a bridge device.\n")
    if link.kind == "loopback":
        return 1, "", f"can't add {dev} to bridge {brname}: Invalid argument\n"
    model.set_master(dev, brname)
    return 0, "", ""


def _delif(model: NetModel, brname: str, dev: str) -> Output:
    link = model.get(dev)
    if link is None:
        return 1, "", f"interface {dev} does not exist!\n"
    if not model.has_bridge(brname):
        return 1, "", f"bridge {brname} does not exist!\n"
    if link.master != brname:
        return 1, "", f"device {dev} is not a port of {brname}\n"
    model.set_master(dev, None)
    return 0, "", ""


_BRCTL_USAGE = """Usage: brctl [commands]
commands:
\taddbr     \t<bridge>\t\tadd bridge
\tdelbr     \t<bridge>\t\tdelete bridge
\taddif     \t<bridge> <device>\tadd interface to bridge
\tdelif     \t<bridge> <device>\tdelete interface from bridge
\tsetfd     \t<bridge> <time>\t\tset bridge forward delay
\tshow      \t[ <bridge> ]\t\tshow a list of bridges
\tstp       \t<bridge> {on|off}\tturn stp on/off
"""
