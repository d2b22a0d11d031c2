"""Honest partial facts: LVM, Xen and bridges are each read on their own; a layer whose tool
is missing is "absent", one whose tool fails is "unreadable", with the reason, and the
inventory and the doctor still show the other layers."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.xen import fx_lab

from fxkit.doctor import run_doctor
from fxkit.errors import (
    CommandFailed,
    ConnectionFailed,
    PreconditionFailed,
    SudoPasswordRequired,
)
from fxkit.host import Exec
from fxkit.inventory import Inventory, read_inventory
from fxkit.layers import ABSENT, READ, UNREADABLE, Layer, read_layer
from fxkit.result import Result


def without(lab, tool: str, *, stderr: str | None = None):
    """``lab`` as a host where ``tool`` is missing (or, with ``stderr``, fails saying it)."""
    real = lab._exec

    def exec_(argv, **kw):
        if argv[0] == tool:
            return Exec(1, "", stderr + "\n") if stderr else \
                Exec(127, "", f"sh: 1: {tool}: not found\n")
        return real(argv, **kw)
    lab._exec = exec_
    return lab


def test_a_host_with_lvm_but_no_xen_shows_its_volumes_and_bridges(tmp_path: Path):
    inv = read_inventory(without(fx_lab(tmp_path), "xl"))
    xen = inv.layer("xen")
    assert xen.status == ABSENT and "`xl` was not found" in xen.reason
    assert "xen-utils" in xen.reason
    assert inv.layer("lvm").ok and inv.lvm.vg("lvm") is not None
    assert inv.layer("net").ok and inv.net.bridge("xenbr0") is not None
    assert inv.xen.domains == [] and inv.xen.configs == {}
    text = str(inv)
    assert text.startswith("Volume groups\n") and "Logical volumes" in text
    assert "Bridges" in text and "Xen domains" not in text
    assert f"Xen: absent ({xen.reason})" in text


def test_a_host_with_xen_but_no_bridge_tools_shows_its_domains(tmp_path: Path):
    inv = read_inventory(without(fx_lab(tmp_path), "ip"))
    assert inv.layer("net").status == ABSENT and inv.layer("xen").ok and inv.layer("lvm").ok
    assert {d.name for d in inv.xen.domains} >= {"Domain-0", "titanic"}
    assert "Bridges" not in str(inv) and "bridges: absent" in str(inv)


def test_a_tool_that_fails_makes_its_layer_unreadable(tmp_path: Path):
    lab = without(fx_lab(tmp_path), "xl", stderr="xc: error: Could not obtain handle on "
                                                 "privileged command interface")
    inv = read_inventory(lab)
    assert inv.layer("xen").status == UNREADABLE and "exited with status 1" in \
        inv.layer("xen").reason


def test_the_doctor_says_which_layer_it_could_not_read_and_checks_the_rest(tmp_path: Path):
    lab = without(fx_lab(tmp_path), "xl", stderr="cannot init xl context")
    lab.write_file("/etc/xen/ghost.cfg", "name = 'ghost'\nmemory = 64\n"
                                         "disk = [ 'phy:/dev/lvm/ghost-root,xvda1,w' ]\n")
    findings = run_doctor(lab)
    layer = [f for f in findings if f.code.startswith("layer-")]
    assert [(f.severity, f.code, f.objects) for f in layer] == \
        [("error", "layer-unreadable", ("xen",))]
    assert "not running as a Xen dom0" in layer[0].message
    assert "configs were" in layer[0].message
    # the configs in /etc/xen are still checked against LVM
    assert any(f.code == "disk-missing-lv" and "ghost" in f.message for f in findings)


def test_a_clean_host_has_every_layer_read(tmp_path: Path):
    inv = read_inventory(fx_lab(tmp_path))
    assert [(la.name, la.status) for la in inv.layers] == \
        [("lvm", READ), ("xen", READ), ("net", READ)]
    assert "absent" not in str(inv) and "unreadable" not in str(inv)
    old = Inventory(inv.host, inv.lvm, inv.xen, inv.net)     # built without layers: all read
    assert old.layer("xen").ok and str(old) == str(inv)


def test_losing_the_host_or_sudo_is_not_a_layer_problem():
    def lost():
        raise ConnectionFailed("fx: the connection dropped")

    def password():
        raise SudoPasswordRequired("fx: sudo asks ops for a password")

    for read in (lost, password):
        with pytest.raises(ConnectionFailed):
            read_layer("lvm", read, None)
    result = Result(("pvs",), 5, "", "boom\n", 0.0, "fx")

    def fails():
        raise CommandFailed(result)
    _, layer = read_layer("lvm", fails, None)
    assert layer == Layer("lvm", UNREADABLE, "fx: `pvs` exited with status 5")


def test_a_plan_that_needs_an_absent_layer_refuses_with_the_reason():
    layer = Layer("xen", ABSENT, "fx: `xl` is not installed on fx")
    with pytest.raises(PreconditionFailed, match=r"cannot start web: Xen is absent on this "
                                                 r"host: fx: `xl` is not installed"):
        layer.require("start web")
    Layer("xen").require("start web")


def test_an_lvm_plan_on_a_host_without_lvm_refuses_with_the_reason(tmp_path: Path):
    from fxkit.errors import ToolNotFound
    from fxkit.xen.storage import read_lvm_facts
    lab = without(fx_lab(tmp_path), "pvs")
    with pytest.raises(PreconditionFailed, match=r"cannot plan an LVM change on lab: LVM is "
                                                 r"absent on this host: .*`pvs` was not found"
                       ) as e:
        read_lvm_facts(lab)
    assert isinstance(e.value.__cause__, ToolNotFound)
