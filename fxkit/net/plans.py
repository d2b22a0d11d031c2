"""Bridge plans (create with an uplink, attach, detach, delete), persisted in ifupdown files.

Each plan is computed from facts (``fxkit.net.state.read_net``) and the persisted files
(``read_persisted``); applying it runs ``ip`` commands, writes
``/etc/network/interfaces.d/<bridge>`` and then re-plans, which must give nothing::

    >>> plan = plan_bridge_create(read_net(fx), "xenbr1", uplink="eth0.42",
    ...                           persisted=read_persisted(fx))      # doctest: +SKIP
    >>> plan.apply(fx)                                               # doctest: +SKIP
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from fxkit.errors import InvalidRequest, PreconditionFailed
from fxkit.net.ifupdown import (
    DIRECTORY,
    MAIN,
    Persisted,
    file_for,
    kept_options,
    parse_persisted,
    read_persisted,
    read_text,
    render_bridge,
)
from fxkit.net.state import NetState, read_net
from fxkit.plan import FileWrite, Plan, Step, keeps_facts

# re-exported: plans take what read_persisted returns
__all__ = ["GUEST_KINDS", "Persisted", "bridge_users", "check_name", "parse_persisted",
           "plan_attach", "plan_bridge_create", "plan_bridge_delete", "plan_detach",
           "read_persisted", "split_vlan"]

_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}\Z")
_VLAN = re.compile(r"(?P<parent>[A-Za-z0-9_-]+)\.(?P<vid>[0-9]{1,4})\Z")
GUEST_KINDS = ("vif", "tap")   # plugged by Xen's hotplug scripts, never persisted


# -- steps shared by the plans -----------------------------------------------------------------

def _ip(*argv: str) -> tuple[str, ...]:
    return ("ip", *argv)


def _link_missing(name: str):  # noqa: ANN202 - a Step.needed callable
    return lambda h: read_net(h).link(name) is None


def _link_present(name: str):  # noqa: ANN202
    return lambda h: read_net(h).link(name) is not None


def _link_down(name: str):  # noqa: ANN202
    return lambda h: not getattr(read_net(h).link(name), "admin_up", True)


def _master_is_not(name: str, bridge: str | None):  # noqa: ANN202
    return lambda h: getattr(read_net(h).link(name), "master", None) != bridge


def _file_differs(path: str, content: str):  # noqa: ANN202
    return lambda h: read_text(h, path) != content


def check_name(name: str, what: str = "bridge") -> str:
    if not _NAME.match(name or ""):
        raise InvalidRequest(f"{what} name {name!r} is not a valid interface name: use 1 to 15 "
                             "letters, digits, '.', '-' or '_' (e.g. xenbr3)")
    return name


def split_vlan(name: str) -> tuple[str, int] | None:
    m = _VLAN.match(name)
    return (m.group("parent"), int(m.group("vid"))) if m else None


def _persist_steps(net: NetState, persisted: Persisted | None, bridge: str,
                   ports: list[str], stp: bool, forward_delay: int,
                   warnings: list[str]) -> list[Step]:
    """The write of interfaces.d/<bridge> holding ``ports`` (guest ports left out)."""
    if persisted is None:
        return []
    if not persisted.installed:
        warnings.append(f"{MAIN} does not exist (ifupdown is not installed): {bridge} "
                             "is not persisted and will be gone after a reboot; install "
                             "ifupdown, or persist it with the host's own network manager")
        return []
    keep = [p for p in ports if getattr(net.link(p), "kind", "") not in GUEST_KINDS
            and not p.startswith("vif")]
    existing = persisted.stanza(bridge)
    path = file_for(bridge)
    if existing is not None and existing.path != path:
        warnings.append(f"{bridge} is defined in {existing.path}; fxkit writes only "
                             f"{DIRECTORY}/: edit bridge_ports there by hand ({' '.join(keep)})")
        return []
    vlans = []
    for p in keep:
        split = split_vlan(p)
        link = net.link(p)
        if link is not None and link.kind == "vlan" and link.parent and link.vlan_id:
            vlans.append((p, link.parent, link.vlan_id))
        elif link is None and split:
            vlans.append((p, split[0], split[1]))
    vlans = [v for v in vlans if (persisted.stanza(v[0]) is None
                                  or persisted.stanza(v[0]).path == path)]  # type: ignore[union-attr]
    old = persisted.files.get(path, "")
    first = old.splitlines()[0] if old.startswith("# ") else ""
    content = render_bridge(bridge, keep, stp=stp, forward_delay=forward_delay / 100,
                            vlans=vlans, comment=first[2:],
                            method=existing.method if existing else "manual",
                            options=kept_options(existing))
    if persisted.files.get(path) == content:
        return []
    if not persisted.sources_dir:
        warnings.append(f"{MAIN} has no `source {DIRECTORY}/*` line: ifupdown will not read "
                             f"{path} at boot; add that line")
    return [Step(f"Persist {bridge} in {path} (ifupdown, read at boot)",
                 write=FileWrite(path, content, 0o644), needed=_file_differs(path, content))]


# -- create -----------------------------------------------------------------------------------

@keeps_facts
def plan_bridge_create(net: NetState, name: str, uplink: str | None = None, *,
                       stp: bool = False, forward_delay: int = 0,
                       persisted: Persisted | None = None) -> Plan:
    """Create bridge ``name`` with ``uplink`` (a NIC, or ``eth0.42`` for VLAN 42 on eth0).

    ``forward_delay`` is in centiseconds (the kernel's unit; 0 suits a bridge
    without STP). Pass ``persisted`` to also write the ifupdown file.
    """
    check_name(name)
    if stp and not 200 <= forward_delay <= 3000:
        raise InvalidRequest(f"{name}: with STP on, the forward delay must be 2 to 30 seconds "
                             f"(got {forward_delay / 100:g}); the kernel refuses other values")
    title = f"Bridge {name}" + (f" with uplink {uplink}" if uplink else "")
    steps: list[Step] = []
    warnings: list[str] = []
    existing = net.link(name)
    if existing is not None and existing.kind != "bridge":
        raise PreconditionFailed(f"{name} exists on {net.host or 'the host'} and is a "
                                 f"{existing.kind}, not a bridge: choose another bridge name")
    if uplink:
        steps += _uplink_steps(net, name, uplink)
    if existing is None:
        steps.append(Step(f"Create bridge {name}", _ip("link", "add", "name", name,
                                                             "type", "bridge"),
                               needed=_link_missing(name)))
    br = net.bridge(name)
    if br is not None and br.stp and not stp and not 200 <= forward_delay <= 3000:
        # the kernel applies forward_delay before stp_state (br_changelink) and refuses a
        # delay under 2 s while STP is on: turn STP off in a command of its own first
        steps.append(Step(f"Turn STP off on {name}", _ip(
            "link", "set", "dev", name, "type", "bridge", "stp_state", "0")))
    if br is None or br.stp != stp or (br.forward_delay or 0) != forward_delay:
        steps.append(Step(
            f"Set STP {'on' if stp else 'off'}, forward delay {forward_delay / 100:g}s on {name}",
            _ip("link", "set", "dev", name, "type", "bridge", "stp_state", str(int(stp)),
                "forward_delay", str(forward_delay))))
    if uplink and getattr(net.link(uplink), "master", None) != name:
        steps.append(Step(f"Plug {uplink} into {name}",
                               _ip("link", "set", "dev", uplink, "master", name),
                               needed=_master_is_not(uplink, name)))
    if existing is None or not existing.admin_up:
        steps.append(Step(f"Bring {name} up", _ip("link", "set", "dev", name, "up"),
                               needed=_link_down(name)))
    ports = [p.name for p in net.ports(name)]
    if uplink and uplink not in ports:
        ports.append(uplink)
    steps += _persist_steps(net, persisted, name, ports, stp, forward_delay, warnings)
    reason = f"{name} exists" + (f" with {uplink} plugged in" if uplink else "") + \
        (" and is persisted" if persisted is not None else "")
    return Plan(title, steps, warnings, reason, replan=lambda h: plan_bridge_create(
        read_net(h), name, uplink, stp=stp, forward_delay=forward_delay,
        persisted=read_persisted(h) if persisted is not None else None))


def _uplink_steps(net: NetState, bridge: str, uplink: str) -> list[Step]:
    check_name(uplink, "uplink")
    link = net.link(uplink)
    steps: list[Step] = []
    if link is None:
        split = split_vlan(uplink)
        if split is None:
            nics = ", ".join(ln.name for ln in net.links if ln.kind == "physical") or "none"
            raise PreconditionFailed(f"uplink {uplink} does not exist on {net.host or 'the host'} "
                                     f"(physical interfaces: {nics}); name an existing NIC, or "
                                     "NIC.VLAN (e.g. eth0.42) for a VLAN sub-interface")
        parent, vid = split
        if not 1 <= vid <= 4094:
            raise InvalidRequest(f"VLAN id {vid} in {uplink} is out of range: use 1 to 4094")
        if net.link(parent) is None:
            raise PreconditionFailed(f"{uplink} needs VLAN {vid} on {parent}, and {parent} does "
                                     "not exist: check the NIC name with `fxkit net show`")
        steps.append(Step(f"Create {uplink}: VLAN {vid} tagged on {parent}",
                          _ip("link", "add", "link", parent, "name", uplink, "type", "vlan",
                              "id", str(vid)), needed=_link_missing(uplink)))
    elif link.master is not None and link.master != bridge:
        raise PreconditionFailed(
            f"{uplink} is already a port of {link.master}; an interface belongs to one bridge "
            f"only. Detach it first (fxkit net plan-detach HOST {uplink}) or use a VLAN "
            f"sub-interface such as {uplink}.42 as the uplink")
    elif link.kind in ("bridge", "loopback"):
        raise PreconditionFailed(f"{uplink} is a {link.kind}; a bridge's uplink must be a NIC, "
                                 "a VLAN sub-interface or a veth")
    if link is None or not link.admin_up:
        steps.append(Step(f"Bring {uplink} up", _ip("link", "set", "dev", uplink, "up"),
                          needed=_link_down(uplink)))
    return steps


# -- attach / detach ----------------------------------------------------------------------------

@keeps_facts
def plan_attach(net: NetState, iface: str, bridge: str, *,
                persisted: Persisted | None = None) -> Plan:
    """Plug ``iface`` into ``bridge`` (and persist it unless it is a guest vif or tap)."""
    steps: list[Step] = []
    warnings: list[str] = []
    br, link = net.bridge(bridge), net.link(iface)
    if br is None:
        raise PreconditionFailed(f"bridge {bridge} does not exist on {net.host or 'the host'}: "
                                 f"create it first (fxkit net plan-bridge HOST {bridge} ...)")
    if link is None:
        raise PreconditionFailed(f"interface {iface} does not exist on {net.host or 'the host'}: "
                                 "check the name with `fxkit net show`")
    if link.kind in ("bridge", "loopback"):
        raise PreconditionFailed(f"{iface} is a {link.kind} and cannot be a bridge port")
    if link.master not in (None, bridge):
        raise PreconditionFailed(f"{iface} is a port of {link.master}; detach it first "
                                 f"(fxkit net plan-detach HOST {iface})")
    if link.master != bridge:
        steps.append(Step(f"Plug {iface} into {bridge}",
                               _ip("link", "set", "dev", iface, "master", bridge),
                               needed=_master_is_not(iface, bridge)))
    if not link.admin_up:
        steps.append(Step(f"Bring {iface} up", _ip("link", "set", "dev", iface, "up"),
                               needed=_link_down(iface)))
    ports = [p.name for p in net.ports(bridge)] + ([iface] if link.master != bridge else [])
    if persisted is not None and persisted.stanza(bridge) is not None:
        steps += _persist_steps(net, persisted, bridge, ports, br.stp,
                                     br.forward_delay or 0, warnings)
    return Plan(f"Attach {iface} to {bridge}", steps, warnings,
                f"{iface} is already a port of {bridge}",
                replan=lambda h: plan_attach(read_net(h), iface, bridge,
                                             persisted=read_persisted(h) if persisted else None))


@keeps_facts
def plan_detach(net: NetState, iface: str, *, persisted: Persisted | None = None) -> Plan:
    """Unplug ``iface`` from its bridge (and drop it from the bridge's persisted ports)."""
    link = net.link(iface)
    if link is None:
        raise PreconditionFailed(f"interface {iface} does not exist on {net.host or 'the host'}")
    bridge = link.master
    steps: list[Step] = []
    warnings: list[str] = []
    if bridge is not None:
        if link.domid is not None:
            warnings.append(f"{iface} belongs to a running domU (domid {link.domid}): its "
                                 "network stops until it is plugged back")
        steps.append(Step(f"Unplug {iface} from {bridge}",
                               _ip("link", "set", "dev", iface, "nomaster"),
                               needed=_master_is_not(iface, None)))
        br = net.bridge(bridge)
        if persisted is not None and persisted.stanza(bridge) is not None and br is not None:
            ports = [p.name for p in net.ports(bridge) if p.name != iface]
            steps += _persist_steps(net, persisted, bridge, ports, br.stp,
                                         br.forward_delay or 0, warnings)
    return Plan(f"Detach {iface}" + (f" from {bridge}" if bridge else ""), steps, warnings,
                f"{iface} is not a port of any bridge",
                replan=lambda h: plan_detach(read_net(h), iface,
                                             persisted=read_persisted(h) if persisted else None))


# -- delete -------------------------------------------------------------------------------------

def bridge_users(configs: Mapping[str, Any] | None, bridge: str) -> list[str]:
    """Domain configs whose vif list uses ``bridge``.

    ``configs`` maps a config path (or domain name) to a ``DomainConfig`` (as
    ``fxkit.xen.toolstack.XenFacts.configs`` gives) or to an iterable of bridge names.
    """
    users = []
    for key, cfg in sorted((configs or {}).items()):
        vifs = getattr(cfg, "vifs", None)
        if vifs is not None:
            bridges = {getattr(v, "bridge_or_default", getattr(v, "bridge", None)) for v in vifs}
            label = f"{getattr(cfg, 'name', None) or key} ({key})" if getattr(
                cfg, "name", None) and cfg.name != key else str(key)
        else:
            bridges = set(cfg) if isinstance(cfg, Iterable) and not isinstance(cfg, str) else {cfg}
            label = str(key)
        if bridge in bridges:
            users.append(label)
    return users


@keeps_facts
def plan_bridge_delete(net: NetState, name: str, *, configs: Mapping[str, Any] | None = None,
                       persisted: Persisted | None = None) -> Plan:
    """Remove bridge ``name``, refused while a running vif or a domU config uses it."""
    br = net.bridge(name)
    path = file_for(name)
    in_file = persisted is not None and persisted.stanza(name) is not None
    steps: list[Step] = []
    warnings: list[str] = []
    vifs = [f"{ln.name} ({ln.domain or f'domid {ln.domid}'})" for ln in net.ports(name)
            if ln.domid is not None]
    users = bridge_users(configs, name)
    if vifs or users:
        who = "; ".join(filter(None, [
            f"running vifs: {', '.join(vifs)}" if vifs else "",
            f"domU configs: {', '.join(users)}" if users else ""]))
        raise PreconditionFailed(f"bridge {name} is in use ({who}). Stop those domUs and move "
                                 f"their vif lines to another bridge first; nothing was changed")
    if br is not None:
        for port in net.ports(name):
            own_vlan = port.kind == "vlan" and in_file and persisted is not None and getattr(
                persisted.stanza(port.name), "path", None) == path
            if not own_vlan:
                warnings.append(f"{port.name} ({port.kind}) leaves {name} and is left "
                                     "unplugged")
        if next((ln for ln in net.links if ln.name == name and ln.admin_up), None):
            steps.append(Step(f"Bring {name} down", _ip("link", "set", "dev", name, "down"),
                                   needed=lambda h: not _link_down(name)(h)
                                   and not _link_missing(name)(h)))
        steps.append(Step(f"Delete bridge {name}", _ip("link", "del", "dev", name),
                               destroys=name, needed=_link_present(name)))
    if in_file and persisted is not None:
        stanza = persisted.stanza(name)
        for port in net.ports(name) if br is not None else []:
            vlan = persisted.stanza(port.name)
            if port.kind == "vlan" and vlan is not None and vlan.path == path:
                steps.append(Step(
                    f"Delete {port.name} (VLAN {port.vlan_id} on {port.parent}, defined only in "
                    f"{path})", _ip("link", "del", "dev", port.name),
                    needed=_link_present(port.name)))
        if stanza is not None and stanza.path == path:
            steps.append(Step(f"Remove {path}, so {name} does not come back at boot",
                                   ("rm", "-f", path),
                                   needed=lambda h: read_text(h, path) is not None))
        elif stanza is not None:
            warnings.append(f"{name} is also defined in {stanza.path}: remove its stanza "
                                 "there by hand, or it comes back at boot")
    return Plan(f"Delete bridge {name}", steps, warnings,
                f"{name} does not exist and is not persisted",
                replan=lambda h: plan_bridge_delete(read_net(h), name, configs=configs,
                                                    persisted=read_persisted(h) if in_file
                                                    else None))
