"""Bridge plans, persistence and drift on the lab (VLAN uplinks: the lab kernel has 802.1Q)."""

from __future__ import annotations

import pytest
from support.net import argvs, bridge_lifecycle

from fxkit.errors import InvalidRequest, PreconditionFailed
from fxkit.lab.store import build_state
from fxkit.net.drift import NOT_LIVE, NOT_PERSISTED, check_drift
from fxkit.net.ifupdown import parse_interfaces
from fxkit.net.plans import (
    parse_persisted,
    plan_attach,
    plan_bridge_create,
    plan_bridge_delete,
    read_persisted,
)
from fxkit.net.state import read_externals, read_net
from fxkit.testing.labstate import StateHost
from fxkit.xen.facts import read_configs
from fxkit.xen.facts import read_domain_names as domain_names

FX_DOMAINS = {1: "titanic", 2: "ns", 3: "web"}


@pytest.fixture
def fx() -> StateHost:
    host = StateHost(build_state("fx"), name="fx")
    host.state.net.add("eth2", "physical", mac="00:1c:c4:5a:e0:14", bus="pci",
                       busdev="0000:07:00.0")   # a spare NIC for new bridges
    host.state.net.add("tap0", "tap", up=False)
    return host


def test_fx_scenario_is_consistent(fx: StateHost) -> None:
    net = read_net(fx, FX_DOMAINS)
    assert {b.name: b.ports for b in net.bridges} == {
        "xenbr0": ("eth0", "vif1.0", "vif2.0", "vif3.0"),
        "xenbr1": ("eth0.42", "vif1.1"), "xenbr2": ("eth1", "vif1.2", "vif3.1")}
    assert [ln.name for ln in net.vifs("titanic")] == ["vif1.0", "vif1.1", "vif1.2"]
    assert net.link("eth0.42").vlan_id == 42 and net.link("eth0.42").parent == "eth0"
    assert [ln.name for ln in net.uplinks("xenbr1")] == ["eth0.42"]
    # the ifupdown files describe exactly the live wiring
    assert check_drift(net, read_persisted(fx)) == []
    assert read_persisted(fx).sources_dir
    assert [e.name for e in read_externals(fx)] == ["Backbone", "VLAN 42", "FreeBox"]


def test_fx_vifs_follow_the_running_domains(fx: StateHost) -> None:
    assert domain_names(fx) == {0: "Domain-0", **FX_DOMAINS}
    fx.run(["xl", "destroy", "web"])
    net = read_net(fx, domain_names(fx))
    assert net.bridge("xenbr2").ports == ("eth1", "vif1.2")
    assert net.bridge("xenbr0").ports == ("eth0", "vif1.0", "vif2.0")
    fx.run(["xl", "create", "/etc/xen/backup.cfg"])
    names = domain_names(fx)
    (backup_id,) = [i for i, n in names.items() if n == "backup"]
    vifs = read_net(fx, names).vifs("backup")
    assert [(v.name, v.domid) for v in vifs] == [(f"vif{backup_id}.0", backup_id)]


def test_bridge_lifecycle_on_the_lab(fx: StateHost) -> None:
    bridge_lifecycle(fx, "eth2", "tap0", "vif9.0",
                     lambda: fx.state.net.add_vif(9, 0, "00:16:3e:00:00:09", "xenbr3"))


def test_bridge_on_a_vlan_uplink(fx: StateHost) -> None:
    plan = plan_bridge_create(read_net(fx), "xenbr4", uplink="eth2.7",
                              persisted=read_persisted(fx))
    assert argvs(plan)[:2] == [
        ("ip", "link", "add", "link", "eth2", "name", "eth2.7", "type", "vlan", "id", "7"),
        ("ip", "link", "set", "dev", "eth2.7", "up")]
    plan.apply(fx)
    net = read_net(fx)
    assert net.link("eth2.7").kind == "vlan" and net.link("eth2.7").vlan_id == 7
    assert net.bridge("xenbr4").ports == ("eth2.7",)
    stanzas, _ = parse_interfaces(fx.read_file("/etc/network/interfaces.d/xenbr4"))
    assert [(s.name, s.vlan, s.bridge_ports) for s in stanzas] == [
        ("eth2.7", ("eth2", 7), None), ("xenbr4", None, ["eth2.7"])]
    assert plan_bridge_create(read_net(fx), "xenbr4", uplink="eth2.7",
                              persisted=read_persisted(fx)).empty
    # a second VLAN on the same NIC is another bridge, kept apart
    plan_bridge_create(read_net(fx), "xenbr5", uplink="eth2.8",
                       persisted=read_persisted(fx)).apply(fx)
    assert read_net(fx).bridge("xenbr5").ports == ("eth2.8",)
    assert check_drift(read_net(fx), read_persisted(fx)) == []


def test_a_host_without_ifupdown_gets_the_bridge_and_a_warning_not_a_write(
        fx: StateHost) -> None:
    """The real lab's dom0 (systemd, no ifupdown) showed it: interfaces.d is not there."""
    fx.run(["rm", "-r", "/etc/network"])
    persisted = read_persisted(fx)
    assert not persisted.installed
    plan = plan_bridge_create(read_net(fx), "xenbr4", uplink="eth2.7", persisted=persisted)
    assert not any(s.write for s in plan.steps)
    assert any("ifupdown is not installed" in w and "gone after a reboot" in w
               for w in plan.warnings)
    plan.apply(fx)
    assert read_net(fx).bridge("xenbr4").ports == ("eth2.7",)


def test_survives_a_reboot_by_ifupdown_files(fx: StateHost) -> None:
    """Live state lost (as after a reboot): drift says so and names the fix."""
    plan_bridge_create(read_net(fx), "xenbr4", uplink="eth2.7",
                       persisted=read_persisted(fx)).apply(fx)
    fx.run(["ip", "link", "del", "xenbr4"])
    fx.run(["ip", "link", "del", "eth2.7"])
    drift = check_drift(read_net(fx), read_persisted(fx))
    assert {(d.kind, d.name) for d in drift} == {(NOT_LIVE, "xenbr4"), (NOT_LIVE, "eth2.7")}
    assert "ifup xenbr4" in str(drift[0])


def test_drift_reports_live_only_bridges(fx: StateHost) -> None:
    fx.run(["brctl", "addbr", "scratch"])
    drift = check_drift(read_net(fx), read_persisted(fx))
    assert [(d.kind, d.name) for d in drift] == [(NOT_PERSISTED, "scratch")]


def test_refusals_name_the_problem(fx: StateHost) -> None:
    net = read_net(fx, FX_DOMAINS)
    with pytest.raises(PreconditionFailed, match="eth0 is already a port of xenbr0"):
        plan_bridge_create(net, "xenbr9", uplink="eth0")
    with pytest.raises(PreconditionFailed, match=r"uplink eth7 does not exist.*eth0, eth1, eth2"):
        plan_bridge_create(net, "xenbr9", uplink="eth7")
    with pytest.raises(PreconditionFailed, match="eth7 does not exist"):
        plan_bridge_create(net, "xenbr9", uplink="eth7.3")
    with pytest.raises(InvalidRequest, match="out of range"):
        plan_bridge_create(net, "xenbr9", uplink="eth2.4095")
    with pytest.raises(InvalidRequest, match="not a valid interface name"):
        plan_bridge_create(net, "a-very-long-bridge-name")
    with pytest.raises(PreconditionFailed, match="is a physical, not a bridge"):
        plan_bridge_create(net, "eth1")
    with pytest.raises(PreconditionFailed, match="port of xenbr2; detach it first"):
        plan_attach(net, "eth1", "xenbr0")
    with pytest.raises(PreconditionFailed, match="bridge xenbr7 does not exist"):
        plan_attach(net, "tap0", "xenbr7")


def test_delete_refused_by_running_vifs_and_configs(fx: StateHost) -> None:
    configs, _ = read_configs(fx)
    with pytest.raises(PreconditionFailed) as e:
        plan_bridge_delete(read_net(fx, FX_DOMAINS), "xenbr2", configs=configs)
    text = str(e.value)
    assert "vif1.2 (titanic)" in text and "vif3.1 (web)" in text
    assert "titanic" in text.split("domU configs:")[1] and "web" in text.split("domU configs:")[1]
    # xenbr1 after stopping titanic: still refused, its config names xenbr1
    fx.state.net.remove_vifs(1)
    with pytest.raises(PreconditionFailed, match=r"domU configs: .*titanic"):
        plan_bridge_delete(read_net(fx), "xenbr1", configs=configs)


def test_bridges_defined_in_the_main_file_are_left_to_the_admin(fx: StateHost) -> None:
    main = ("auto xenbr0\niface xenbr0 inet static\n    bridge_ports eth0\n"
            "    address 192.0.2.2/24\n")
    persisted = parse_persisted({"/etc/network/interfaces": main})
    assert not persisted.sources_dir
    plan = plan_attach(read_net(fx), "tap0", "xenbr0", persisted=persisted)
    assert all(s.write is None for s in plan.steps)
    plan = plan_attach(read_net(fx), "eth2", "xenbr0", persisted=persisted)
    assert all(s.write is None for s in plan.steps)
    assert any("defined in /etc/network/interfaces" in w and "eth0 eth2" in w
               for w in plan.warnings)


def test_ifup_brings_persisted_bridges_back_as_at_boot(fx: StateHost) -> None:
    plan_bridge_create(read_net(fx), "xenbr4", uplink="eth2.7",
                       persisted=read_persisted(fx)).apply(fx)
    before = {b.name: b.ports for b in read_net(fx).bridges}
    # "reboot": every bridge and VLAN is gone, vifs too (no domU runs yet)
    for name in ("xenbr0", "xenbr1", "xenbr2", "xenbr4", "eth0.42", "eth2.7"):
        fx.run(["ip", "link", "set", "dev", name, "down"])
        fx.run(["ip", "link", "del", name])
    assert read_net(fx).bridges == ()
    assert fx.run(["ifup", "xenbr9"], check=False).stderr == "ifup: unknown interface xenbr9\n"
    fx.run(["ifup", "-a"])
    net = read_net(fx)
    after = {b.name: tuple(p for p in b.ports if not p.startswith("vif")) for b in net.bridges}
    assert after == {n: tuple(p for p in ports if not p.startswith("vif"))
                     for n, ports in before.items()}
    assert net.link("eth0.42").vlan_id == 42 and net.link("xenbr1").admin_up
    assert check_drift(net, read_persisted(fx)) == []
    assert fx.run(["ip", "route"]).stdout == (
        "default via 192.0.2.1 dev xenbr0 onlink \n"
        "192.0.2.0/24 dev xenbr0 proto kernel scope link src 192.0.2.10 \n")
    assert fx.run(["ifup", "xenbr4"]).stderr == "ifup: interface xenbr4 already configured\n"
    fx.run(["ifdown", "xenbr4"])
    assert read_net(fx).bridge("xenbr4") is None


def test_stp_off_with_zero_delay_needs_two_commands_on_the_lab_too(fx: StateHost) -> None:
    fx.run(["ip", "link", "set", "dev", "xenbr0", "type", "bridge", "forward_delay", "1500",
            "stp_state", "1"])
    refused = fx.run(["ip", "link", "set", "dev", "xenbr0", "type", "bridge", "stp_state", "0",
                      "forward_delay", "0"], check=False)
    assert (refused.exit_status, refused.stderr) == (
        2, "RTNETLINK answers: Numerical result out of range\n")
    plan = plan_bridge_create(read_net(fx), "xenbr0", uplink="eth0")
    assert len(plan.steps) == 2
    plan.apply(fx)
    assert not read_net(fx).bridge("xenbr0").stp
    with pytest.raises(InvalidRequest, match="2 to 30 seconds"):
        plan_bridge_create(read_net(fx), "xenbr0", stp=True, forward_delay=0)


def test_rewriting_ports_keeps_the_address_and_gateway(fx: StateHost) -> None:
    plan = plan_attach(read_net(fx), "eth2", "xenbr0", persisted=read_persisted(fx))
    plan.apply(fx)
    text = fx.read_file("/etc/network/interfaces.d/xenbr0")
    (stanza,) = [s for s in parse_interfaces(text)[0] if s.name == "xenbr0"]
    assert (stanza.method, stanza.get("address"), stanza.get("gateway")) == (
        "static", "192.0.2.10/24", "192.0.2.1")
    assert stanza.bridge_ports == ["eth0", "eth2"]
    assert text.startswith("# xenbr0: the school backbone")
    assert check_drift(read_net(fx), read_persisted(fx)) == []


def test_drift_on_stp_and_forward_delay(fx: StateHost) -> None:
    fx.run(["brctl", "setfd", "xenbr2", "2"])
    fx.run(["brctl", "stp", "xenbr2", "on"])
    drift = check_drift(read_net(fx), read_persisted(fx))
    assert [(d.kind, d.name) for d in drift] == [("forward-delay", "xenbr2"), ("stp", "xenbr2")]
    assert "2s live but bridge_fd 0" in str(drift[0])
    plan_bridge_create(read_net(fx), "xenbr2", uplink="eth1").apply(fx)
    assert check_drift(read_net(fx), read_persisted(fx)) == []
