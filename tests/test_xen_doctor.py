"""fxkit.doctor on the lab: a clean fx reports nothing; each planted problem is found."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.xen import fx_lab, run

from fxkit.doctor import run_doctor
from fxkit.lab.transport import LabHost

NETWORKS = {"external": [{"name": "Backbone", "device": "eth0", "vlan": None},
                         {"name": "VLAN 42", "device": "eth0", "vlan": 42},
                         {"name": "FreeBox", "device": "eth1", "vlan": None}]}


def test_clean_fx_lab_reports_nothing(tmp_path: Path) -> None:
    assert run_doctor(fx_lab(tmp_path)) == []


def _config(lab: LabHost, name: str, body: str) -> None:
    lab.write_file(f"/etc/xen/{name}.cfg", f"name = '{name}'\nmemory = 64\n{body}\n")


def missing_lv(lab: LabHost) -> None:
    _config(lab, "ghost", "disk = [ 'phy:/dev/mapper/lvm-ghost--root,xvda1,w' ]")


def shared_lv(lab: LabHost) -> None:
    _config(lab, "clone", "disk = [ 'phy:/dev/lvm/ns-root,xvda1,w' ]")


def orphan_lv(lab: LabHost) -> None:
    lab.run(["lvcreate", "-L", "1g", "-n", "old-root", "lvm"])


def missing_bridge(lab: LabHost) -> None:
    _config(lab, "lost", "vif = [ 'mac=00:16:3e:00:00:99, bridge=xenbr9' ]")


def wrong_network(lab: LabHost) -> None:
    lab.run(["mkdir", "-p", "/etc/fxkit"])
    lab.write_file("/etc/fxkit/networks.json", json.dumps(NETWORKS))
    # web's second vif is meant for VLAN 42 but sits on xenbr2 (the FreeBox); the last
    # fx_networks line wins, as with any repeated key
    text = lab.read_file("/etc/xen/web.cfg")
    lab.write_file("/etc/xen/web.cfg", text + 'fx_networks = [ "backbone", "vlan 42" ]\n')


def duplicate_mac(lab: LabHost) -> None:
    _config(lab, "twin", "vif = [ 'mac=AA:73:65:63:6F:75, bridge=xenbr0' ]")


def ram_overcommit(lab: LabHost) -> None:
    with lab.store.transaction() as state:
        state.xen.domains[0].memory = 3800       # dom0 + titanic + ns + web > 4096 MiB
        state.touch()                            # a change made by hand: say so


def vg_full(lab: LabHost) -> None:
    free = json.loads(run(lab, "vgs", "--reportformat", "json", "--units", "b", "--nosuffix",
                          "-o", "vg_free"))["report"][0]["vg"][0]["vg_free"]
    lab.run(["lvcreate", "-L", f"{int(free) * 95 // 100 // 1024**2}m", "-n", "big", "lvm"])
    lab.write_file("/etc/xen/big.cfg", "name = 'big'\nmemory = 64\n"
                   "disk = [ 'phy:/dev/lvm/big,xvda1,w' ]\n")


def drift(lab: LabHost) -> None:
    text = lab.read_file("/etc/xen/titanic.cfg")
    lab.write_file("/etc/xen/titanic.cfg", text.replace("memory = 128", "memory = 256"))


def no_config(lab: LabHost) -> None:
    lab.run(["rm", "/etc/xen/web.cfg"])


def unreadable(lab: LabHost) -> None:
    lab.write_file("/etc/xen/bad.cfg", "import os\nname = os.uname()[1]\n")


PLANTED: list[tuple[Callable[[LabHost], None], str, str, str]] = [
    (missing_lv, "error", "disk-missing-lv", "lvm/ghost-root"),
    (shared_lv, "error", "lv-shared", "lvm/ns-root"),
    (orphan_lv, "warning", "orphan-lv", "lvm/old-root"),
    (missing_bridge, "error", "vif-missing-bridge", "xenbr9"),
    (wrong_network, "error", "vif-wrong-network", "xenbr2"),
    (duplicate_mac, "error", "duplicate-mac", "aa:73:65:63:6f:75"),
    (ram_overcommit, "error", "ram-overcommit", "Domain-0"),
    (vg_full, "warning", "vg-nearly-full", "lvm"),
    (drift, "warning", "config-drift", "titanic"),
    (no_config, "warning", "no-config", "web"),
    (unreadable, "error", "config-unreadable", "/etc/xen/bad.cfg"),
]


@pytest.mark.parametrize("plant,severity,code,obj", PLANTED, ids=[p[2] for p in PLANTED])
def test_each_planted_problem_is_found(tmp_path: Path, plant: Callable[[LabHost], None],
                                       severity: str, code: str, obj: str) -> None:
    lab = fx_lab(tmp_path)
    plant(lab)
    findings = run_doctor(lab)
    hits = [f for f in findings if f.code == code]
    assert hits, f"{code} not found in {[f.code for f in findings]}"
    assert all(f.severity == severity for f in hits)
    assert any(obj in f.objects for f in hits)
    assert all(f.fix and f.message for f in findings)
    # nothing else is reported as an error than what was planted
    assert {f.code for f in findings if f.severity == "error"} <= {code}


def test_right_network_is_not_reported(tmp_path: Path) -> None:
    lab = fx_lab(tmp_path)
    wrong_network(lab)
    text = lab.read_file("/etc/xen/web.cfg").replace('"vlan 42"', '"freebox"')
    lab.write_file("/etc/xen/web.cfg", text)
    assert run_doctor(lab) == []


def test_cli_exit_status(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from fxkit.cli import cli
    monkeypatch.setenv("FXKIT_LAB_DIR", str(tmp_path))
    lab = fx_lab(tmp_path)
    ok = CliRunner().invoke(cli, ["doctor", "lab"])
    assert ok.exit_code == 0, ok.output
    assert "nothing wrong found" in ok.output
    missing_lv(lab)
    bad = CliRunner().invoke(cli, ["doctor", "lab"])
    assert bad.exit_code == 1 and "disk-missing-lv" in bad.output


def test_dom0_lvs_from_fstab_are_neither_orphans_nor_free_for_domus(tmp_path: Path) -> None:
    lab = fx_lab(tmp_path)
    assert lab.run(["lvs", "lvm/root"]).ok                      # fx's fstab mounts lvm-root
    assert run_doctor(lab) == []
    _config(lab, "thief", "disk = [ 'phy:/dev/lvm/root,xvda1,w' ]")
    shared = [f for f in run_doctor(lab) if f.code == "lv-shared"]
    assert shared and "dom0 /etc/fstab" in shared[0].objects


def test_fx_configs_declare_their_networks_and_the_lab_matches(tmp_path: Path) -> None:
    from fxkit.doctor import read_doctor_facts
    lab = fx_lab(tmp_path)
    facts = read_doctor_facts(lab)
    assert facts.xen.configs["/etc/xen/web.cfg"]["fx_networks"] == ["Backbone", "FreeBox"]
    assert {e.name for e in facts.externals} >= {"Backbone", "VLAN 42", "FreeBox"}
    # move backup (VLAN 42 only) onto the FreeBox bridge: the doctor objects
    text = lab.read_file("/etc/xen/backup.cfg").replace("bridge=xenbr1", "bridge=xenbr2")
    lab.write_file("/etc/xen/backup.cfg", text)
    wrong = [f for f in run_doctor(lab) if f.code == "vif-wrong-network"]
    assert len(wrong) == 1 and "'VLAN 42'" in wrong[0].message and "eth1" in wrong[0].message


def test_a_host_whose_lvm_tools_fail_is_still_diagnosed(tmp_path: Path) -> None:
    lab = fx_lab(tmp_path)
    real = lab._exec

    def exec_without_lvm(argv, **kw):    # as on a host where lvm2 is missing (every path)
        if argv[0] in ("pvs", "vgs", "lvs"):
            argv = ("no-such-lvm-tool", *argv[1:])
        return real(argv, **kw)
    lab._exec = exec_without_lvm  # type: ignore[method-assign]
    text = lab.read_file("/etc/xen/backup.cfg").replace("bridge=xenbr1", "bridge=xenbr9")
    lab.write_file("/etc/xen/backup.cfg", text)
    findings = run_doctor(lab)
    codes = {f.code for f in findings}
    # LVM could not be read: said once, naming the missing tool; no disk is called missing
    # or orphaned on a guess (every domU disk used to be reported "missing" here)
    absent = [f for f in findings if f.code == "layer-absent"]
    assert len(absent) == 1 and absent[0].objects == ("lvm",)
    assert "`pvs` was not found" in absent[0].message and "lvm2" in absent[0].message
    assert "skipped" in absent[0].message
    assert not codes & {"disk-missing-lv", "orphan-lv", "lv-shared", "vg-nearly-full"}
    assert "vif-missing-bridge" in codes          # the Xen and bridge checks still ran
