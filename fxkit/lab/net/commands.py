"""The lab's ``ip``: argv in, the real tools' bytes and exit codes out (``ip route`` and
``ip addr add`` in ``route``, address listings in ``addr``; ``bridge`` and ``brctl`` in
``brctl``).

Messages and statuses are the ones iproute2 6.1 and bridge-utils 1.7.1 print (see
tests/fixtures/bridge/manifest.json); kernel refusals are the kernel's extack texts.
Unlike the machine the fixtures came from, the lab kernel has 802.1Q VLANs.
"""

from __future__ import annotations

import re

from fxkit.lab.net import addr as net_addr
from fxkit.lab.net import render as r
from fxkit.lab.net import route as net_route
from fxkit.lab.net import text as net_text
from fxkit.lab.net.model import NetLink, NetModel
from fxkit.lab.shell.base import Call, Output

EEXIST = "RTNETLINK answers: File exists\n"
EOPNOTSUPP = "RTNETLINK answers: Operation not supported\n"
EINVAL = "RTNETLINK answers: Invalid argument\n"
_IFNAME = re.compile(r"[^\s/:]{1,15}\Z")
_SHOW = ("show", "list", "lst", "ls")


def _no_device(name: str) -> Output:
    return 1, "", f'Cannot find device "{name}"\n'


def _invarg(msg: str, arg: str) -> Output:
    return 255, "", f'Error: argument "{arg}" is wrong: {msg}\n'


def _options(args: list[str]) -> tuple[set[str], list[str]]:
    """Split leading ``-j -d -br -p`` style options from the rest."""
    aliases = {"-json": "-j", "-details": "-d", "-brief": "-br", "-pretty": "-p",
               "-stats": "-s", "-statistics": "-s", "-color": "-c", "-oneline": "-o"}
    opts: set[str] = set()
    while args and args[0].startswith("-") and len(args[0]) > 1:
        a = args.pop(0).lstrip("-")
        opts.add(aliases.get("-" + a, "-" + a))
    return opts, args


def _json(value: object, opts: set[str]) -> str:
    return (r.dump_pretty(value) if "-p" in opts else r.dump(value)) + "\n"


# -- ip ---------------------------------------------------------------------------------------

def ip(call: Call) -> Output:
    opts, args = _options(list(call.args))
    if not args:
        return 255, "", "Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }\n"
    obj, rest = args[0], args[1:]
    model: NetModel = call.state.net
    if "link".startswith(obj):
        return _ip_link(model, opts, rest)
    if obj in ("r", "ro", "rou", "rout", "route"):
        return net_route.ip_route(model, opts, rest)
    if obj in ("a", "ad", "addr", "addre", "addres", "address"):
        if rest[:1] in (["add"], ["del"], ["delete"], ["flush"]):
            return net_route.ip_addr_change(model, rest[0].replace("delete", "del"), rest[1:])
        if rest and rest[0] not in _SHOW and rest[0] != "dev":
            return 2, "", EOPNOTSUPP
        return _ip_show(model, opts, rest[1:] if rest[:1] and rest[0] in _SHOW else rest, addr=True)
    if obj == "tuntap" and rest[:1] in (["add"], ["del"]):
        return _tuntap(model, rest)
    return 1, "", f'Object "{obj}" is unknown, try "ip help".\n'


def _ip_link(model: NetModel, opts: set[str], args: list[str]) -> Output:
    cmd = args[0] if args else "show"
    rest = args[1:]
    if cmd in _SHOW:
        return _ip_show(model, opts, rest)
    if cmd == "add":
        return _link_add(model, rest)
    if cmd == "set":
        return _link_set(model, rest)
    if cmd in ("del", "delete"):
        return _link_del(model, rest)
    if "dev" in args or args[:1] and model.get(args[0]):
        return _ip_show(model, opts, args)
    return 255, "", f'Command "{cmd}" is unknown, try "ip link help".\n'


def _ip_show(model: NetModel, opts: set[str], args: list[str], addr: bool = False) -> Output:
    links = list(model.links)
    while args:
        word = args.pop(0)
        if word in ("dev", "type", "master") and not args:
            return 255, "", 'Command line is not complete. Try option "help"\n'
        if word == "up":
            links = [ln for ln in links if ln.up]
        elif word == "type":
            kind = args.pop(0)
            links = [ln for ln in links if _matches_type(ln, kind)]
        elif word == "master":
            name = args.pop(0)
            if not model.has_bridge(name) and model.get(name) is None:
                return _invarg("Device does not exist\n", name)
            links = [ln for ln in links if ln.master == name]
        else:
            name = args.pop(0) if word == "dev" else word
            if model.get(name) is None:
                return 1, "", f'Device "{name}" does not exist.\n'
            links = [ln for ln in links if ln.name == name]
    detail = "-d" in opts
    if "-j" in opts:
        record = net_addr.addr_json if addr else r.link_json
        return 0, _json([record(model, ln, detail) for ln in links], opts), ""
    if "-br" in opts:
        brief = net_addr.addr_brief if addr else net_text.brief_line
        return 0, "".join(brief(model, ln) for ln in links), ""
    if addr:
        return 0, "".join(net_addr.addr_text(model, ln, detail) for ln in links), ""
    return 0, "".join(net_text.link_text(model, ln, detail) for ln in links), ""


def _matches_type(link: NetLink, kind: str) -> bool:
    if kind == "bridge_slave":
        return link.master is not None
    return {"bridge": "bridge", "veth": "veth", "vlan": "vlan", "tun": "tap",
            "dummy": "dummy"}.get(kind) == link.kind


def _link_add(model: NetModel, args: list[str]) -> Output:
    name = lower = kind = peer = None
    vid = None
    i = 0
    while i < len(args):
        word = args[i]
        value = args[i + 1] if i + 1 < len(args) else None
        if word in ("name", "dev", "link", "type", "id", "peer") and value is None:
            return 255, "", 'Command line is not complete. Try option "help"\n'
        if word in ("name", "dev"):
            name, i = value, i + 2
        elif word == "link":
            lower, i = value, i + 2
        elif word == "type":
            kind, i = value, i + 2
        elif word == "id" and kind == "vlan":
            if not (value or "").isdigit() or int(value or 0) > 4094:
                return _invarg("id is invalid", value or "")
            vid, i = int(value or 0), i + 2
        elif word == "peer" and kind == "veth":
            i += 1
            if args[i:i + 1] == ["name"]:
                i += 1
            peer, i = args[i], i + 1
        elif name is None and kind is None:
            name, i = word, i + 1
        else:
            return 255, "", f'Garbage instead of arguments "{word} ...". Try "ip link help".\n'
    if name is None:
        return 255, "", 'Not enough information: "dev" argument is required.\n'
    if len(name) > 15 and _IFNAME.match(name[:15]):
        return 2, "", "Error: Attribute failed policy validation.\n"   # IFNAMSIZ, kernel side
    if not _IFNAME.match(name):
        return _invarg('"name" not a valid ifname', name)
    if kind not in ("bridge", "veth", "vlan", "dummy"):
        return 2, "", "Error: Unknown device type.\n"
    if lower is not None and model.get(lower) is None:
        return _no_device(lower)
    if model.get(name) is not None or (peer and model.get(peer) is not None):
        return 2, "", EEXIST
    if kind == "vlan":
        if lower is None:
            return 2, "", "Error: 8021q: link not specified.\n"
        if vid is None:
            return 2, "", "Error: 8021q: VLAN id not specified.\n"
        if any(ln.kind == "vlan" and (ln.parent, ln.vlan_id) == (lower, vid) for ln in model.links):
            return 2, "", "Error: 8021q: VLAN device already exists.\n"
        parent = model.get(lower)
        assert parent is not None
        model.add(name, "vlan", mac=parent.mac, up=False, vlan_id=vid, parent=lower,
                  mtu=parent.mtu)
    elif kind == "veth":
        peer = peer or _free_name(model, "veth")
        model.add(peer, "veth", up=False, parent=name, queues=model._cpus())
        model.add(name, "veth", up=False, parent=peer, queues=model._cpus())
    else:
        model.add(name, kind, up=False)
    return 0, "", ""


def _free_name(model: NetModel, prefix: str) -> str:
    n = 0
    while model.get(f"{prefix}{n}") is not None:
        n += 1
    return f"{prefix}{n}"


def _link_set(model: NetModel, args: list[str]) -> Output:
    if args[:1] == ["dev"]:
        args = args[1:]
    if not args:
        return 255, "", 'Not enough of information: "dev" argument is required.\n'
    name, args = args[0], args[1:]
    link = model.get(name)
    if link is None:
        return _no_device(name)
    changes: list[tuple[str, object]] = []
    while args:
        word = args.pop(0)
        if word in ("up", "down", "nomaster"):
            changes.append((word, None))
        elif word in ("master", "mtu", "address", "name") and args:
            value = args.pop(0)
            if word == "master" and model.get(value) is None:
                return _invarg("Device does not exist\n", value)
            changes.append((word, value))
        elif word == "type" and args[:1] == ["bridge"]:
            args.pop(0)
            while len(args) >= 2:
                key, value = args.pop(0), args.pop(0)
                if key == "vlan_filtering" or not link.is_bridge:
                    return 2, "", EOPNOTSUPP
                changes.append((key, value))
        else:
            return 255, "", f'Error: either "dev" is duplicate, or "{word}" is a garbage.\n'
    order = {"forward_delay": 0, "stp_state": 1}   # br_changelink's order, not argv's
    changes.sort(key=lambda c: order.get(c[0], -1) if c[0] in order else -1)
    for word, arg in changes:
        status = _apply_set(model, link, word, arg)
        if status is not None:
            return status
    if changes and model.state is not None:
        model.state.touch()     # mtu, name, stp_state... change the state without a tick
    return 0, "", ""


def _apply_set(model: NetModel, link: NetLink, word: str, value: object) -> Output | None:
    if word in ("up", "down"):
        link.up = word == "up"
        link.activated = link.activated or link.up
        model._tick()
    elif word == "nomaster":
        if link.master:
            model.set_master(link.name, None)
    elif word == "master":
        master = model.get(str(value))
        assert master is not None
        if not master.is_bridge:
            return 2, "", EOPNOTSUPP
        if link.is_bridge:
            return 2, "", "Error: Can not enslave a bridge to a bridge.\n"
        if link.kind == "loopback" or master is link:
            return 2, "", EINVAL
        if link.master != master.name:
            model.set_master(link.name, master.name)
    elif word == "mtu":
        mtu = int(str(value))
        low, high = r.mtu_range(link)
        if mtu > high:
            return 2, "", "Error: mtu greater than device maximum.\n"
        if mtu < low:
            return 2, "", "Error: mtu less than device minimum.\n"
        link.mtu = mtu
        link.mtu_set = link.mtu_set or link.is_bridge   # br_change_mtu: set by the user
        for bridge in {link.master, link.name if link.is_bridge else None} - {None}:
            model.recompute_bridge(str(bridge))
    elif word == "address":
        model.set_mac(link.name, str(value))
    elif word == "name":
        if model.get(str(value)) is not None:
            return 2, "", EEXIST
        for other in model.links:
            if other.master == link.name:
                other.master = str(value)
            if other.parent == link.name:
                other.parent = str(value)
        link.name = str(value)
    elif word == "stp_state":
        link.stp = str(value) == "1"
    elif word == "forward_delay":
        delay = int(str(value))
        if link.stp and not 200 <= delay <= 3000:   # BR_MIN/MAX_FORWARD_DELAY with STP on
            return 2, "", "RTNETLINK answers: Numerical result out of range\n"
        link.forward_delay = delay
    return None


def _link_del(model: NetModel, args: list[str]) -> Output:
    if args[:1] == ["dev"]:
        args = args[1:]
    if not args:
        return 255, "", 'Not enough information: "dev" argument is required.\n'
    link = model.get(args[0])
    if link is None:
        return _no_device(args[0])
    if link.kind in ("loopback", "physical", "vif"):
        return 2, "", EOPNOTSUPP
    model.delete(link.name)
    return 0, "", ""


def _tuntap(model: NetModel, args: list[str]) -> Output:
    words = [a for a in args[1:] if a not in ("dev", "mode", "tap", "tun")]
    if not words:
        return 255, "", "ip: tunnel device name not specified\n"
    name = words[0]
    if args[0] == "add":
        if model.get(name) is not None:
            return 1, "", "ioctl(TUNSETIFF): Device or resource busy\n"
        model.add(name, "tap", up=False)
        return 0, "", ""
    link = model.get(name)
    if link is None or link.kind != "tap":
        return 1, "", "ioctl(TUNSETIFF): Invalid argument\n"
    model.delete(name)
    return 0, "", ""
