"""The lab's ip/bridge/brctl answer byte for byte like the real tools in tests/fixtures/bridge/.

The fixtures were captured in a network namespace holding br0 (veth0, veth1), xenbr0
(vif1.0, vif2.0, stood in by veth pairs) and an empty bridge. The test builds the same
layout in a lab with the same commands, then compares. Normalisations, all of things a
real kernel does not repeat either:

- MAC addresses: the kernel draws veth and bridge MACs at random; the test gives the lab's
  links the fixture's MACs with ``ip link set dev X address M`` (bridges then follow
  their smallest port, as in the kernel);
- running timers (``gc_timer``, ``forward_delay_timer``, ``hello_timer``) count down in
  real time; their values are masked on both sides;
- veth queue counts follow the CPU count; the lab is given the fixture machine's 2 CPUs.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

from fxkit.lab.net.model import NetModel
from fxkit.lab.shell.interpreter import execute
from fxkit.lab.state import LabState

FIX = Path(__file__).parent / "fixtures" / "bridge"
MANIFEST = json.loads((FIX / "manifest.json").read_text())
_TIMER = re.compile(r'("?(?:gc|forward_delay|hello)_timer"?[: ])\s*\d+\.\d\d')

MACS = {  # from ip-j-link-show.stdout
    "veth0p": "4a:44:53:33:30:2e", "veth0": "9e:88:37:e2:8a:1c",
    "veth1p": "36:ec:44:02:10:ce", "veth1": "8a:d9:de:a0:63:4b",
    "vif1.0-peer": "ee:9d:f6:5a:e2:d3", "vif1.0": "72:49:56:68:1b:4e",
    "vif2.0-peer": "ee:c4:b9:bc:6f:77", "vif2.0": "56:ae:e1:19:98:18",
    "brempty": "9a:0b:d3:26:78:ad",
}


def run(state: LabState, line: str) -> tuple[int, str, str]:
    return execute(state, shlex.split(line))


def ok(state: LabState, line: str) -> None:
    status, out, err = run(state, line)
    assert (status, out, err) == (0, "", ""), (line, status, err)


def fixture_lab() -> LabState:
    state = LabState(hardware={"cpu": {"sockets": 1, "cores_per_socket": 2}})
    state.sections["net"] = NetModel.from_dict({}, state)
    state.net.add("lo", "loopback", mac="00:00:00:00:00:00", mtu=65536)
    for line in ("ip link add br0 type bridge",
                 "ip link add veth0 type veth peer name veth0p",
                 "ip link add veth1 type veth peer name veth1p",
                 "brctl addbr xenbr0",
                 "ip link add vif1.0 type veth peer name vif1.0-peer",
                 "ip link add vif2.0 type veth peer name vif2.0-peer",
                 "ip link add brempty type bridge"):
        ok(state, line)
    for name, mac in MACS.items():
        if name == "brempty":   # a fresh bridge's random address: no address was set by hand
            state.net.get(name).mac = mac
        else:
            ok(state, f"ip link set dev {name} address {mac}")
    for line in ("ip link set dev veth0 master br0", "ip link set dev veth1 master br0",
                 "brctl addif xenbr0 vif1.0", "ip link set dev vif2.0 master xenbr0"):
        ok(state, line)
    for name in ("br0", "veth0p", "veth0", "veth1p", "veth1", "xenbr0", "vif1.0-peer",
                 "vif1.0", "vif2.0-peer", "vif2.0"):
        ok(state, f"ip link set dev {name} up")
    return state


def expected(name: str) -> tuple[int, str, str]:
    entry = MANIFEST[name]
    return (entry["returncode"], (FIX / entry["stdout"]).read_text(),
            (FIX / entry["stderr"]).read_text())


def masked(text: str) -> str:
    return _TIMER.sub(lambda m: m.group(1) + "T", text)


# Fixtures captured on the full layout, before any change.
STEADY = [
    "ip-link-show", "ip-br-link-show", "ip-j-link-show", "ip-j-d-link-show",
    "ip-d-link-show-type-bridge", "ip-j-d-link-show-type-bridge",
    "ip-j-p-d-link-show-type-bridge", "ip-j-d-link-show-dev-br0",
    "ip-j-d-link-show-dev-vif1.0", "ip-j-d-link-show-master-br0",
    "ip-link-show-master-xenbr0", "bridge-link-show", "bridge-j-link-show",
    "bridge-d-link-show", "bridge-j-d-link-show", "bridge-vlan-show", "bridge-j-vlan-show",
    "brctl-show", "brctl-show-br0", "brctl-show-brempty",
    "err-brctl-addbr-exists", "err-brctl-addif-missing-bridge", "err-brctl-addif-missing-dev",
    "err-brctl-delbr-missing", "err-brctl-delif-not-port", "err-brctl-show-missing",
    "err-bridge-link-set-missing", "err-bridge-vlan-add-kernel-unsupported",
    "err-ip-j-link-show-missing", "err-ip-link-add-bridge-exists", "err-ip-link-del-missing",
    "err-ip-link-set-master-missing-dev", "err-ip-link-set-master-missing-master",
    "err-ip-link-set-vlan-filtering-kernel-unsupported", "err-ip-link-show-missing",
]


@pytest.fixture(scope="module")
def lab() -> LabState:
    return fixture_lab()


@pytest.mark.parametrize("name", STEADY)
def test_lab_matches_fixture(lab: LabState, name: str) -> None:
    status, out, err = run(lab, MANIFEST[name]["command"])
    want_status, want_out, want_err = expected(name)
    assert (status, err) == (want_status, want_err)
    assert masked(out) == masked(want_out)


def test_changes_then_listings_match_fixtures() -> None:
    state = fixture_lab()
    # stp on, then the detailed record of br0 reports it
    assert run(state, MANIFEST["brctl-stp-on-success"]["command"]) == expected(
        "brctl-stp-on-success")
    out = run(state, MANIFEST["ip-j-d-link-show-dev-br0-stp-on"]["command"])[1]
    want = json.loads(masked(expected("ip-j-d-link-show-dev-br0-stp-on")[1]).replace(
        ":T", ":0"))
    got = json.loads(masked(out).replace(":T", ":0"))
    assert got == want
    ok(state, "brctl stp br0 off")
    # empty xenbr0: its bridge id falls back to zeros, as the kernel does
    for name in ("ip-link-set-nomaster-success", "brctl-delif-success"):
        assert run(state, MANIFEST[name]["command"]) == expected(name)
    assert run(state, "brctl show xenbr0") == expected("brctl-show-after-delif")
    ok(state, "ip link set dev xenbr0 down")
    assert run(state, MANIFEST["brctl-delbr-success"]["command"]) == expected(
        "brctl-delbr-success")
    assert run(state, MANIFEST["ip-link-del-bridge-success"]["command"]) == expected(
        "ip-link-del-bridge-success")
    assert run(state, "brctl show") == expected("brctl-show-final")


def test_creation_commands_succeed_silently() -> None:
    state = LabState()
    state.sections["net"] = NetModel.from_dict({}, state)
    state.net.add("vif1.0", "veth")
    for name in ("ip-link-add-bridge-success", "brctl-addbr-success", "brctl-addif-success",
                 "ip-link-set-master-success", "brctl-stp-on-success"):
        line = MANIFEST[name]["command"]
        if name == "ip-link-set-master-success":
            state.net.add("vif2.0", "veth")
        if name == "brctl-stp-on-success":
            ok(state, "brctl addbr br0")
        assert run(state, line) == expected(name), line


def test_vlan_sub_interface_in_the_lab() -> None:
    """The lab kernel has 802.1Q: a VLAN on eth0 prints like iproute2 prints one."""
    state = LabState()
    state.sections["net"] = NetModel.from_dict({}, state)
    state.net.add("eth0", "physical", mac="00:1c:c4:5a:e0:10")
    ok(state, "ip link add link eth0 name eth0.42 type vlan id 42")
    assert run(state, "ip link add link eth0 name eth0.42 type vlan id 42")[0] == 2
    assert run(state, "ip link add link eth0 name v42 type vlan id 42") == (
        2, "", "Error: 8021q: VLAN device already exists.\n")
    assert run(state, "ip link add link eth9 name eth9.1 type vlan id 1") == (
        1, "", 'Cannot find device "eth9"\n')
    status, out, _ = run(state, "ip -j -d link show dev eth0.42")
    item = json.loads(out)[0]
    assert item["link"] == "eth0" and item["ifname"] == "eth0.42"
    assert item["linkinfo"] == {"info_kind": "vlan", "info_data": {
        "protocol": "802.1Q", "id": 42, "flags": ["REORDER_HDR"]}}
    assert run(state, "ip link show eth0.42")[1].startswith(
        "2: eth0.42@eth0: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN")
    ok(state, "ip link set dev eth0 down")
    ok(state, "ip link set dev eth0.42 up")   # lower device down: LOWERLAYERDOWN
    shown = run(state, "ip link show eth0.42")[1]
    assert "<NO-CARRIER,BROADCAST,MULTICAST,UP,M-DOWN>" in shown
    assert "state LOWERLAYERDOWN" in shown
    assert run(state, "ip link del eth0") == (2, "", "RTNETLINK answers: Operation not supported\n")
    ok(state, "ip link del eth0.42")
    assert [ln.name for ln in state.net.links] == ["eth0"]
