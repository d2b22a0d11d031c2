"""A malformed ``mac=`` in one domU config is what xl makes of it (a warning, and the MAC
xl reads), never a ParseError: domU-create still plans and the doctor reports it."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from support.xen import fx_lab

from fxkit.cli import cli
from fxkit.doctor import run_doctor
from fxkit.lab.transport import LabHost
from fxkit.xen.config import DomainConfig
from fxkit.xen.macs import bad_macs, config_macs, duplicate_macs
from fxkit.xen.plans import DomuSpec, plan_domu_create, read_domu_facts

BAD = "zz:16:3e:00:00:01"          # xl: "Invalid parameter `mac'.", then a random MAC
CUT = "00:16:3e:zz:00:01"          # xl keeps what it read before the bad byte


def _cfg(path: str, *vifs: str) -> DomainConfig:
    body = ", ".join(f"'{v}'" for v in vifs)
    return DomainConfig.parse(f"name = 'x'\nmemory = 64\nvif = [ {body} ]\n", path)


def test_config_macs_are_what_xl_reads_and_never_raise() -> None:
    configs = {"/etc/xen/a.cfg": _cfg("/etc/xen/a.cfg", f"mac={BAD}", f"mac={CUT}",
                                      "mac=AA:73:65:63:6F:75, bridge=xenbr1"),
               "/etc/xen/b.cfg": _cfg("/etc/xen/b.cfg", "rate=abc", "mac=aa:73:65:63:6f:75")}
    assert config_macs(configs) == [("00:16:3e:00:00:00", "/etc/xen/a.cfg", 1),
                                    ("aa:73:65:63:6f:75", "/etc/xen/a.cfg", 2),
                                    ("aa:73:65:63:6f:75", "/etc/xen/b.cfg", 1)]
    assert duplicate_macs(configs) == {"aa:73:65:63:6f:75": [("/etc/xen/a.cfg", 2),
                                                             ("/etc/xen/b.cfg", 1)]}
    assert bad_macs(configs) == [("/etc/xen/a.cfg", 0, BAD, None),
                                 ("/etc/xen/a.cfg", 1, CUT, "00:16:3e:00:00:00")]


@pytest.fixture
def lab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> LabHost:
    monkeypatch.setenv("FXKIT_LAB_DIR", str(tmp_path))
    host = fx_lab(tmp_path)
    host.write_file("/etc/xen/odd.cfg", "name = 'odd'\nmemory = 64\n"
                                        f"vif = [ 'mac={BAD}, bridge=xenbr0' ]\n")
    return host


def test_domu_create_plans_beside_a_config_with_a_bad_mac(lab: LabHost) -> None:
    plan = plan_domu_create(read_domu_facts(lab), DomuSpec("mail", bridges=("xenbr0",)))
    assert "xl create /etc/xen/mail.cfg" in str(plan)
    out = CliRunner().invoke(cli, ["xen", "create", "mail", "lab"])
    assert out.exit_code == 0 and out.exception is None, out.output


def test_domu_create_plans_beside_a_vif_xl_refuses(lab: LabHost) -> None:
    lab.write_file("/etc/xen/worse.cfg", "name = 'worse'\nmemory = 64\n"
                                         "vif = [ 'rate=abc, bridge=xenbr0' ]\n")
    plan = plan_domu_create(read_domu_facts(lab), DomuSpec("mail", bridges=("xenbr0",)))
    assert "xl create /etc/xen/mail.cfg" in str(plan)


def test_the_doctor_reports_the_bad_mac(lab: LabHost) -> None:
    found = [f for f in run_doctor(lab) if f.code == "bad-mac"]
    assert len(found) == 1
    assert found[0].severity == "warning"
    assert found[0].objects == ("/etc/xen/odd.cfg", "vif 0")
    assert BAD in found[0].message and "random MAC" in found[0].message
    out = CliRunner().invoke(cli, ["doctor", "lab"])
    assert out.exception is None or isinstance(out.exception, SystemExit), out.output
    assert "bad-mac" in out.output
