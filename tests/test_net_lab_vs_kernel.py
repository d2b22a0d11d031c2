"""Differential test: the same commands on a real kernel (in a throw-away netns) and on the lab.

Beyond the stored fixtures: the fixture layout is built on both sides, then each
command below runs on both and the outputs must be equal, byte for byte, after the
normalisations of test_net_lab_fidelity.py (fixed MACs, masked running timers), random
MACs of new devices copied to the lab, and IPv6 "tentative" (DAD still running) ignored.
The lab's STP converges at once; the kernel's takes 2 x forward_delay, so the
address and route checks run with STP off.
"""

from __future__ import annotations

import json
import shlex
import time
from collections.abc import Iterator

import pytest
from test_net_lab_fidelity import MACS, fixture_lab, masked
from test_net_netns import _netns_usable

from fxkit.lab.shell.interpreter import execute
from fxkit.lab.state import LabState
from fxkit.transports.netns import NetnsHost

pytestmark = pytest.mark.netns

BUILD = [
    "ip link add br0 type bridge", "ip link add veth0 type veth peer name veth0p",
    "ip link add veth1 type veth peer name veth1p", "brctl addbr xenbr0",
    "ip link add vif1.0 type veth peer name vif1.0-peer",
    "ip link add vif2.0 type veth peer name vif2.0-peer", "ip link add brempty type bridge",
    *[f"ip link set dev {n} address {m}" for n, m in MACS.items() if n != "brempty"],
    "ip link set dev veth0 master br0", "ip link set dev veth1 master br0",
    "brctl addif xenbr0 vif1.0", "ip link set dev vif2.0 master xenbr0",
    *[f"ip link set dev {n} up" for n in ("br0", "veth0p", "veth0", "veth1p", "veth1",
                                           "xenbr0", "vif1.0-peer", "vif1.0", "vif2.0-peer",
                                           "vif2.0")],
]

# Each entry runs in order on both sides; changes carry over to the next entries.
COMMANDS = [
    "ip -d link show dev veth0", "ip -d link show dev brempty", "ip -d link show dev lo",
    "ip link show type bridge", "ip link show type bridge_slave", "ip -br link show type veth",
    "ip -j -p link show dev vif1.0", "bridge -j -p link show", "ip link show up",
    "ip link show master nosuchbr", "ip link show master veth0",
    "brctl delbr br0", "brctl addif xenbr0 veth0", "brctl addif br0 xenbr0",
    "brctl delif br0 nosuchdev", "brctl addbr br0", "brctl show nosuchbr",
    "ip link set dev br0 master xenbr0", "ip link set dev veth0 master veth1",
    "ip link del lo", "ip link add foo type bogus", "ip link add br0 type bridge",
    "ip link add averyveryverylongname type bridge", "ip link set dev nosuch up",
    "ip link set dev veth0 nomaster", "bridge link show", "ip link show dev veth0",
    "ip link set dev veth0 master xenbr0", "brctl show", "bridge link show",
    "ip link set dev veth0p down", "ip link show dev veth0", "bridge link show dev veth0",
    "ip link set dev xenbr0 down", "ip link show dev xenbr0", "bridge -j link show",
    "brctl delbr xenbr0", "brctl show", "ip link show",
    "ip link set dev br0 type bridge stp_state 1", "brctl show br0",
    "ip link set dev br0 type bridge forward_delay 0", "brctl setfd br0 4",
    "ip -j -d link show dev br0",
    "ip link set dev br0 type bridge stp_state 0 forward_delay 0", "brctl show br0",
    "ip link set dev br0 type bridge forward_delay 1500 stp_state 1",
    "ip tuntap add dev tap0 mode tap", "ip link set dev tap0 master br0",
    "bridge link show", "ip -d link show dev tap0", "ip -br link show",
    "ip addr show", "ip -j addr show", "ip -br addr show", "ip addr show dev nosuch",
    # the lab's STP converges at once, the kernel's in 2 x forward_delay: STP off from here
    "ip link set dev br0 type bridge stp_state 0",
    "ip link set dev veth1 mtu 1400", "ip link show dev br0", "ip link set dev veth1 mtu 99999",
    "ip link set dev veth1 mtu 10", "ip link set dev veth1 mtu 1500", "ip link show dev br0",
    "ip link set dev br0 mtu 1450", "ip link set dev veth1 mtu 1400",
    "ip link set dev veth1 mtu 1500", "ip link show", "ip link set dev veth1p name upx",
    "ip link set dev veth1p down", "ip link set dev veth1p name upx", "ip link show dev upx",
    "ip link set dev upx name veth1p", "ip link set dev veth1p up",
    "ip addr add 192.0.2.10/24 dev br0", "ip addr add 192.0.2.10/24 dev br0",
    "ip addr add 192.0.2.12/24 brd + dev veth1p", "ip addr show dev veth1p",
    "ip addr del 192.0.2.12/24 dev veth1p",
    "ip addr add 192.0.2.11/24 dev nosuch", "ip route add default via 192.0.2.1",
    "ip route add default via 192.0.2.1", "ip route add 198.51.100.0/24 via 203.0.113.1",
    "ip route add 198.51.100.0/24 via 192.0.2.254 dev br0", "ip route", "ip -j route",
    "ip addr show dev br0", "ip -j addr show dev br0", "ip -br addr show dev br0",
    "ip addr del 192.0.2.99/24 dev br0", "ip route del 10.9.9.0/24",
    "ip route del 198.51.100.0/24", "ip link set dev br0 down", "ip route",
    "ip addr show dev br0", "ip link set dev br0 up", "ip route",
    "ip route add default via 192.0.2.1 dev br0 onlink", "ip route",
    "ip addr del 192.0.2.10/24 dev br0", "ip route", "ip addr show dev br0",
    "ip link add name vx type veth", "ip -br link show", "ip link del vx",
    "ip link del br0", "ip -br link show", "brctl show", "bridge link show",
    "ip link set dev vif1.0 nomaster", "brctl addbr xenbr0", "brctl addif xenbr0 vif1.0",
    "ip link set dev xenbr0 up", "brctl delbr xenbr0", "ip link set dev xenbr0 down",
    "brctl delbr xenbr0", "ip -br link show",
]


def run_lab(state: LabState, line: str) -> tuple[int, str, str]:
    return execute(state, shlex.split(line))


def copy_random_macs(ns: NetnsHost, lab: LabState) -> None:
    """A new device's MAC is random on the kernel: give the lab's twin the same one."""
    for item in json.loads(ns.run(["ip", "-j", "link", "show"]).stdout):
        twin = lab.net.get(item["ifname"])
        if twin is not None and twin.mac != item["address"]:
            if twin.is_bridge:
                twin.mac = item["address"]      # a bridge's own random address
            else:
                lab.net.set_mac(twin.name, item["address"])


@pytest.fixture(scope="module")
def both() -> Iterator[tuple[NetnsHost, LabState]]:
    reason = _netns_usable()
    if reason:
        pytest.skip(reason)
    ns = NetnsHost.create("fxkit-diff", etc_network=False)
    try:
        for line in BUILD:
            ns.run(shlex.split(line))
        lab = fixture_lab()
        copy_random_macs(ns, lab)
        yield ns, lab
    finally:
        ns.close()


def test_lab_equals_kernel(both: tuple[NetnsHost, LabState]) -> None:
    ns, lab = both
    differences = []
    for _ in range(50):   # IPv6 duplicate address detection: wait until it is done
        if "tentative" not in ns.run(["ip", "addr", "show"]).stdout:
            break
        time.sleep(0.1)
    for line in COMMANDS:
        real = ns.run(shlex.split(line), check=False)
        # IPv6 duplicate address detection is still running for a second after "up"
        want = (real.exit_status, masked(real.stdout).replace(" tentative", ""), real.stderr)
        status, out, err = run_lab(lab, line)
        if line.startswith(("ip tuntap add", "ip link add", "brctl addbr")):
            copy_random_macs(ns, lab)
            status, out, err = status, out, err
        got = (status, masked(out), err)
        if got != want:
            differences.append(f"$ {line}\n  kernel: {want!r}\n  lab:    {got!r}")
    assert not differences, "\n".join(differences)
