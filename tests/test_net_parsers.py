"""Network parsers on real iproute2 / bridge-utils output (tests/fixtures/bridge/).

One case per file in fixtures/bridge/parsed/: the raw output it reads, the parser, the
expected typed result. Adding coverage means adding a file.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from fxkit.errors import ParseError
from fxkit.net import state as net

FIX = Path(__file__).parent / "fixtures" / "bridge"
CASES = sorted((FIX / "parsed").glob("*.json"))


def _plain(value: object) -> object:
    if dataclasses.is_dataclass(value):
        return _plain(dataclasses.asdict(value))  # type: ignore[arg-type]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_parser_case(case: Path) -> None:
    spec = json.loads(case.read_text())
    parser = getattr(net, spec["parser"])
    assert _plain(parser((FIX / spec["input"]).read_text())) == spec["expected"]


def text(name: str) -> str:
    return (FIX / f"{name}.stdout").read_text()


def test_fixture_namespace_as_a_net_state() -> None:
    state = net.build_state(text("ip-j-d-link-show"), text("bridge-j-link-show"),
                            host="fixture", domains={1: "titanic", 2: "ns"})
    assert [b.name for b in state.bridges] == ["br0", "xenbr0", "brempty"]
    assert state.bridge("br0").ports == ("veth0", "veth1")
    assert state.bridge("brempty").ports == () and state.bridge("brempty").state == "DOWN"
    assert state.bridge("br0").bridge_id == "8000.8a:d9:de:a0:63:4b"
    vif = state.link("vif2.0")
    assert (vif.kind, vif.domid, vif.devid, vif.domain, vif.port_state) == (
        "vif", 2, 0, "ns", "forwarding")
    assert [v.name for v in state.vifs("titanic")] == ["vif1.0"]
    assert state.uplinks("xenbr0") == []         # only guest ports: an internal switch


def test_brctl_fallback_gives_the_same_wiring() -> None:
    by_bridge = net.build_state(text("ip-j-d-link-show"), text("bridge-j-link-show"))
    by_brctl = net.build_state(text("ip-j-d-link-show"), None, text("brctl-show"))
    assert by_brctl.source == "ip+brctl"
    assert {b.name: b.ports for b in by_brctl.bridges} == {
        b.name: b.ports for b in by_bridge.bridges}
    assert {b.name: b.stp for b in by_brctl.bridges} == {"br0": False, "xenbr0": False,
                                                         "brempty": False}


def test_stp_state_is_read() -> None:
    links = net.parse_ip_links(text("ip-j-d-link-show-dev-br0-stp-on"))
    (br,) = net.bridges_from_ip(text("ip-j-d-link-show-dev-br0-stp-on"), links)
    assert br.stp and br.forward_delay == 1500


def test_kinds_of_other_devices() -> None:
    """VLAN, tap and netback records as iproute2 prints them (shapes from ip/iplink_*.c)."""
    records = [
        {"ifindex": 4, "link": "eth0", "ifname": "eth0.42", "flags": ["UP"], "mtu": 1500,
         "operstate": "UP", "address": "00:1c:c4:5a:e0:10",
         "linkinfo": {"info_kind": "vlan", "info_data": {"protocol": "802.1Q", "id": 42}}},
        {"ifindex": 5, "ifname": "tap0", "flags": [], "mtu": 1500, "operstate": "DOWN",
         "address": "66:bf:e4:11:54:82",
         "linkinfo": {"info_kind": "tun", "info_data": {"type": "tap"}}},
        {"ifindex": 6, "ifname": "vif7.1", "flags": ["UP"], "mtu": 1500, "operstate": "UP",
         "address": "fe:ff:ff:ff:ff:ff", "parentbus": "xen-backend", "parentdev": "vif-7-1"},
        {"ifindex": 7, "ifname": "vif7.1-emu", "flags": ["UP"], "mtu": 1500,
         "operstate": "UP", "address": "fe:ff:ff:ff:ff:ff",
         "linkinfo": {"info_kind": "tun", "info_data": {"type": "tap"}}},
        {"ifindex": 2, "ifname": "eth0", "flags": ["UP"], "mtu": 1500, "operstate": "UP",
         "address": "00:1c:c4:5a:e0:10", "parentbus": "pci", "parentdev": "0000:03:00.0"},
    ]
    links = {ln.name: ln for ln in net.parse_ip_links(json.dumps(records))}
    assert (links["eth0.42"].kind, links["eth0.42"].vlan_id, links["eth0.42"].parent) == (
        "vlan", 42, "eth0")
    assert links["tap0"].kind == "tap" and links["tap0"].domid is None
    assert (links["vif7.1"].kind, links["vif7.1"].domid, links["vif7.1"].devid) == ("vif", 7, 1)
    assert (links["vif7.1-emu"].kind, links["vif7.1-emu"].domid) == ("tap", 7)
    assert links["eth0"].kind == "physical"


@pytest.mark.parametrize("bad", ["not json", "{}", '[{"mtu": 1500}]'])
def test_garbage_is_a_parse_error(bad: str) -> None:
    with pytest.raises(ParseError):
        net.parse_ip_links(bad)


def test_brctl_without_header_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="header"):
        net.parse_brctl_show("xenbr0\t\t8000.000000000000\tno\t\t\n")


def test_externals_description() -> None:
    text_ = json.dumps({"external": [{"name": "FreeBox", "device": "eth1"},
                                     {"name": "VLAN 42", "device": "eth0", "vlan": 42}]})
    ext = net.parse_externals(text_)
    assert [(e.name, e.device, e.vlan) for e in ext] == [("FreeBox", "eth1", None),
                                                         ("VLAN 42", "eth0", 42)]
    with pytest.raises(ParseError, match="networks.json"):
        net.parse_externals('{"external": [{"name": "x"}]}')
