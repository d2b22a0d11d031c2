"""`--json`: each command prints one document that matches its documented schema (docs/)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from fxkit.cli import cli
from fxkit.cli.jsonout import KINDS

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


@pytest.fixture
def lab(tmp_path, monkeypatch):
    monkeypatch.setenv("FXKIT_LAB_DIR", str(tmp_path / "lab"))
    from fxkit.lab import reset
    reset("fx")
    return tmp_path


def schema(kind: str) -> dict:
    return json.loads((DOCS / "schemas" / f"{kind}-1.json").read_text())


def run_json(*args: str, code: int = 0) -> dict:
    out = CliRunner().invoke(cli, [*args, "--json"])
    assert out.exit_code == code, out.output
    return json.loads(out.stdout)


def check(doc: dict, kind: str) -> dict:
    assert doc["schema"] == f"fxkit.{kind}/1"
    jsonschema.validate(doc, schema(kind), format_checker=jsonschema.FormatChecker())
    return doc


def test_every_schema_is_documented_and_valid():
    text = (DOCS / "json.md").read_text()
    for kind in KINDS:
        jsonschema.Draft202012Validator.check_schema(schema(kind))
        assert f"`fxkit.{kind}/1`" in text and f"schemas/{kind}-1.json" in text
    assert {p.name for p in (DOCS / "schemas").glob("*.json")} == {f"{k}-1.json" for k in KINDS}


def test_inventory_json_matches_its_schema_and_the_text(lab):
    doc = check(run_json("inventory", "lab"), "inventory")
    lvs = {lv["full_name"]: lv for lv in doc["lvs"]}
    assert lvs["lvm/secours-root"]["used_by"] == ["titanic"]
    domains = {d["name"]: d for d in doc["domains"]}
    assert domains["backup"] == {**domains["backup"], "running": False, "id": None,
                                 "config": "/etc/xen/backup.cfg"}
    assert domains["titanic"]["running"] and domains["titanic"]["memory_mib"] == 128
    bridges = {b["name"]: b for b in doc["bridges"]}
    assert bridges["xenbr1"]["uplinks"] == ["eth0.42"]
    assert {"name": "vif1.1", "domain": "titanic"} in bridges["xenbr1"]["vifs"]
    assert doc["layers"] == [{"name": name, "status": "read", "reason": None}
                             for name in ("lvm", "xen", "net")]


def test_inventory_json_says_which_layer_was_not_read_and_why(tmp_path, monkeypatch):
    """A host with LVM and bridges but no Xen: its layers say so, and the rest is there."""
    from support.xen import fx_lab

    from fxkit.cli.hostopts import HostOptions
    from fxkit.host import Exec

    host = fx_lab(tmp_path)
    real = host._exec
    host._exec = lambda argv, **kw: Exec(127, "", "sh: 1: xl: not found\n") \
        if argv[0] == "xl" else real(argv, **kw)
    monkeypatch.setattr(HostOptions, "connect", lambda self, target: host)
    doc = check(run_json("inventory", "fx"), "inventory")
    layers = {la["name"]: la for la in doc["layers"]}
    assert layers["lvm"] == {"name": "lvm", "status": "read", "reason": None}
    assert layers["net"]["status"] == "read"
    assert layers["xen"]["status"] == "absent" and "`xl` was not found" in layers["xen"]["reason"]
    assert doc["domains"] == [] and doc["vgs"] and doc["bridges"]
    text = CliRunner().invoke(cli, ["inventory", "fx"]).output
    assert f"Xen: absent ({layers['xen']['reason']})" in text and "Volume groups" in text
    doctor = check(run_json("doctor", "fx"), "doctor")
    assert [(f["severity"], f["code"], f["objects"]) for f in doctor["findings"]
            if f["code"].startswith("layer-")] == [("warning", "layer-absent", ["xen"])]


def test_read_commands_json(lab):
    check(run_json("doctor", "lab"), "doctor")
    lvm = check(run_json("lvm", "show", "lab"), "lvm")
    assert any(lv["full_name"] == "lvm/backup-root" and lv["used_by"] == ["backup"]
               for lv in lvm["lvs"])
    xen = check(run_json("xen", "list", "lab"), "xen.list")
    assert [d["name"] for d in xen["domains"]][0] == "Domain-0"
    net = check(run_json("net", "show", "lab"), "net")
    assert "eth1" in net["reaches"]["web"] or net["reaches"]["web"]


def test_plans_json_dry_run_then_applied(lab):
    from fxkit.lab import LabHost
    dry = check(run_json("lvm", "plan-extend", "lvm/backup-root", "+1G"), "plan")
    assert dry["applied"] is None and dry["reason"] is None
    assert [s["command"].split()[0] for s in dry["steps"]] == ["lvextend", "e2fsck", "resize2fs"]
    done = check(run_json("lvm", "plan-extend", "lvm/backup-root", "9G", "--apply"), "plan")
    assert done["applied"]["changed"] and len(done["applied"]["ran"]) == 3
    again = check(run_json("lvm", "plan-extend", "lvm/backup-root", "9G"), "plan")
    assert again["empty"] and again["reason"] and again["steps"] == []
    remove = check(run_json("xen", "remove", "backup", "lab"), "plan")
    assert remove["confirmation"] == "backup" and any(s["destroys"] for s in remove["steps"])
    check(run_json("net", "plan-bridge", "lab", "xenbr3", "--uplink", "eth0.43"), "plan")
    # the CLI applies under the host lock, like a runbook, and releases it
    assert LabHost("lab").run(["test", "-e", "/run/lock/fxkit.lock"], check=False).exit_status


def test_json_is_the_only_thing_on_stdout(lab):
    out = CliRunner().invoke(cli, ["lvm", "plan-extend", "lvm/backup-root", "+1G", "--json"])
    assert re.match(r"\A\{\n", out.stdout) and out.stdout.rstrip().endswith("}")


def test_fleet_json_matches_its_schema_and_each_host_its_own(tmp_path):
    from tests.support.fleet import lab_fleet, store
    inv = str(tmp_path / "inventory.ini")
    with lab_fleet(tmp_path, 3):
        store(tmp_path, "fx02").set_down()
        doc = check(run_json("inventory", "-i", inv, code=4), "fleet")
        assert doc["command"] == "inventory" and doc["ok"] is False
        assert doc["summary"] == {"ok": 2, "changed": 0, "failed": 0, "unreachable": 1}
        down = doc["hosts"][1]
        assert (down["name"], down["status"], down["result"]) == ("fx02", "unreachable", None)
        assert down["message"] and down["error"]
        for h in (doc["hosts"][0], doc["hosts"][2]):
            assert h["message"] is None and h["error"] is None
            check(h["result"], "inventory")
        store(tmp_path, "fx02").set_down(False)
        doc = check(run_json("doctor", "-i", inv, "--limit", "fx01:fx02"), "fleet")
        assert [h["name"] for h in doc["hosts"]] == ["fx01", "fx02"] and doc["ok"]
        for h in doc["hosts"]:
            assert check(h["result"], "doctor")["host"] == h["name"]
