"""Shared by the network tests: one plan scenario run on any Host (lab in memory or netns)."""

from __future__ import annotations

import pytest

from fxkit.errors import ConfirmationRequired, PreconditionFailed
from fxkit.host import Host
from fxkit.net.drift import PORTS, check_drift
from fxkit.net.ifupdown import file_for, parse_interfaces
from fxkit.net.plans import (
    plan_attach,
    plan_bridge_create,
    plan_bridge_delete,
    plan_detach,
    read_persisted,
)
from fxkit.net.state import read_net


def argvs(plan) -> list[tuple[str, ...]]:  # noqa: ANN001
    return [s.argv if s.argv else ("write", s.write.path) for s in plan.steps]


def bridge_lifecycle(host: Host, uplink: str, tap: str, vif: str, make_vif) -> None:  # noqa: ANN001
    """Create xenbr3 on ``uplink``, attach/detach ``tap``, drift, refusals, delete.

    ``make_vif()`` plugs a running guest's ``vif`` into xenbr3 (how depends on the host).
    """
    path = file_for("xenbr3")
    plan = plan_bridge_create(read_net(host), "xenbr3", uplink=uplink,
                              persisted=read_persisted(host))
    assert argvs(plan) == [
        ("ip", "link", "add", "name", "xenbr3", "type", "bridge"),
        ("ip", "link", "set", "dev", "xenbr3", "type", "bridge", "stp_state", "0",
         "forward_delay", "0"),
        ("ip", "link", "set", "dev", uplink, "master", "xenbr3"),
        ("ip", "link", "set", "dev", "xenbr3", "up"),
        ("write", path)]
    plan.apply(host)                        # apply re-plans: raises if anything is left
    net = read_net(host)
    assert net.bridge("xenbr3").ports == (uplink,)
    assert net.link(uplink).master == "xenbr3"
    assert net.link("xenbr3").admin_up and net.bridge("xenbr3").forward_delay == 0
    again = plan_bridge_create(net, "xenbr3", uplink=uplink, persisted=read_persisted(host))
    assert again.empty, str(again)          # idempotent

    # the file parses back to the same wiring
    stanzas, _ = parse_interfaces(host.read_file(path), path)
    (br,) = [s for s in stanzas if s.name == "xenbr3"]
    assert br.bridge_ports == [uplink] and not br.stp and br.auto
    assert br.get("bridge_fd") == "0"
    assert not [d for d in check_drift(read_net(host), read_persisted(host))
                if d.name == "xenbr3"]

    # a tap is plugged live, not persisted
    attach = plan_attach(read_net(host), tap, "xenbr3", persisted=read_persisted(host))
    assert argvs(attach)[0] == ("ip", "link", "set", "dev", tap, "master", "xenbr3")
    assert ("write", path) not in argvs(attach)
    attach.apply(host)
    assert read_net(host).link(tap).master == "xenbr3"
    assert plan_attach(read_net(host), tap, "xenbr3").empty
    assert not [d for d in check_drift(read_net(host), read_persisted(host))
                if d.name == "xenbr3"]
    plan_detach(read_net(host), tap, persisted=read_persisted(host)).apply(host)
    assert read_net(host).link(tap).master is None

    # drift after a manual change, fixed by the same plan
    host.run(["ip", "link", "set", "dev", uplink, "nomaster"])
    drift = [d for d in check_drift(read_net(host), read_persisted(host)) if d.name == "xenbr3"]
    assert [d.kind for d in drift] == [PORTS] and uplink in drift[0].message
    fix = plan_bridge_create(read_net(host), "xenbr3", uplink=uplink,
                             persisted=read_persisted(host))
    assert argvs(fix) == [("ip", "link", "set", "dev", uplink, "master", "xenbr3")]
    fix.apply(host)

    # refusals name what uses the bridge
    with pytest.raises(PreconditionFailed, match=r"domU configs: /etc/xen/mail\.cfg"):
        plan_bridge_delete(read_net(host), "xenbr3",
                           configs={"/etc/xen/mail.cfg": ["xenbr0", "xenbr3"]})
    make_vif()
    with pytest.raises(PreconditionFailed, match=rf"running vifs: {vif} \(mail\)"):
        plan_bridge_delete(read_net(host, {int(vif[3:].split('.')[0]): "mail"}), "xenbr3")
    host.run(["ip", "link", "set", "dev", vif, "nomaster"])

    # delete: destructive, confirmed by name; the file goes too
    delete = plan_bridge_delete(read_net(host), "xenbr3", persisted=read_persisted(host))
    assert argvs(delete) == [("ip", "link", "set", "dev", "xenbr3", "down"),
                             ("ip", "link", "del", "dev", "xenbr3"), ("rm", "-f", path)]
    with pytest.raises(ConfirmationRequired):
        delete.apply(host)
    delete.apply(host, confirm="xenbr3")
    assert read_net(host).bridge("xenbr3") is None
    assert read_net(host).link(uplink).master is None
    assert path not in read_persisted(host).files
    assert plan_bridge_delete(read_net(host), "xenbr3", persisted=read_persisted(host)).empty
