"""The same bridge plans on real Linux bridges, veth and tap devices, in a throw-away netns.

The namespace gets its own /etc/network (``ip netns exec`` bind-mounts
/etc/netns/NAME/network), so persistence is real too. This kernel has no 802.1Q,
so VLAN uplinks are tested on the lab only (tests/test_net_plans.py).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator

import pytest
from support.net import bridge_lifecycle

from fxkit.net.drift import check_drift
from fxkit.net.plans import plan_bridge_create, read_persisted
from fxkit.net.state import read_net
from fxkit.topology import build_topology
from fxkit.transports.netns import NetnsHost

pytestmark = pytest.mark.netns


def _netns_usable() -> str | None:
    if shutil.which("ip") is None:
        return "iproute2 is not installed"
    probe = subprocess.run(["ip", "netns", "add", "fxkit-probe-netns"], capture_output=True,
                           text=True)
    if probe.returncode != 0:
        return f"cannot create a network namespace: {probe.stderr.strip()} (needs root)"
    subprocess.run(["ip", "netns", "del", "fxkit-probe-netns"], capture_output=True)
    return None


@pytest.fixture
def ns() -> Iterator[NetnsHost]:
    reason = _netns_usable()
    if reason:
        pytest.skip(reason)
    host = NetnsHost.create("fxkit-test")
    try:
        host.write_file("/etc/network/interfaces",
                        "source /etc/network/interfaces.d/*\n\nauto lo\niface lo inet loopback\n")
        # the uplink stands in for a NIC: one end of a veth pair
        host.run(["ip", "link", "add", "up0", "type", "veth", "peer", "name", "up0p"])
        host.run(["ip", "link", "set", "dev", "up0p", "up"])
        host.run(["ip", "link", "set", "dev", "up0", "up"])
        host.run(["ip", "tuntap", "add", "dev", "tap0", "mode", "tap"])
        yield host
    finally:
        name = host.netns
        host.close()
        listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
        assert name not in listed, f"namespace {name} was not removed"


def test_bridge_lifecycle_on_real_bridges(ns: NetnsHost) -> None:
    def make_vif() -> None:  # a running guest's vif, stood in by a veth named like netback's
        ns.run(["ip", "link", "add", "vif9.0", "type", "veth", "peer", "name", "vif9.0-peer"])
        ns.run(["ip", "link", "set", "dev", "vif9.0", "master", "xenbr3"])

    bridge_lifecycle(ns, "up0", "tap0", "vif9.0", make_vif)


def test_real_kernel_facts(ns: NetnsHost) -> None:
    plan_bridge_create(read_net(ns), "xenbr3", uplink="up0",
                       persisted=read_persisted(ns)).apply(ns)
    ns.run(["ip", "link", "set", "dev", "tap0", "master", "xenbr3"])
    net = read_net(ns)
    assert net.source == "ip+bridge"
    assert {ln.name: ln.kind for ln in net.links} == {
        "lo": "loopback", "up0p": "veth", "up0": "veth", "tap0": "tap", "xenbr3": "bridge"}
    assert net.link("up0").port_state == "forwarding"
    assert net.link("tap0").port_state == "disabled"      # no process holds the tap
    br = net.bridge("xenbr3")
    assert br.ports == ("up0", "tap0") and br.mac == min(net.link("up0").mac,
                                                         net.link("tap0").mac)
    # the lab's brctl fallback path gives the same ports on a real host
    brctl = ns.run(["brctl", "show"]).stdout
    assert "xenbr3" in brctl and "tap0" in brctl
    assert check_drift(net, read_persisted(ns)) == []
    topo = build_topology(net)           # no external description, no domU: dom0 only
    assert {(e.a, e.b) for e in topo.edges} == {("if:up0", "if:xenbr3"),
                                                ("if:xenbr3", "if:tap0")}
    assert topo.domus == []


def test_stp_changes_in_the_order_the_kernel_accepts(ns: NetnsHost) -> None:
    """STP on (delay 15 s), then off with delay 0: two commands, or the kernel says ERANGE."""
    plan_bridge_create(read_net(ns), "xenbr3", uplink="up0", stp=True,
                       forward_delay=1500).apply(ns)
    assert read_net(ns).bridge("xenbr3").stp
    off = plan_bridge_create(read_net(ns), "xenbr3", uplink="up0", stp=False)
    assert [s.argv[-2:] for s in off.steps] == [("stp_state", "0"), ("forward_delay", "0")]
    off.apply(ns)
    br = read_net(ns).bridge("xenbr3")
    assert not br.stp and br.forward_delay == 0
