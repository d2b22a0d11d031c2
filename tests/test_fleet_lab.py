"""A fleet of 20 lab dom0s: inventory, doctor and an lv-create runbook over all of them,
with one host unreachable and one failing mid-plan, each reported on its own."""

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from fxkit.cli import cli
from fxkit.lab import faults
from fxkit.lab.transport import run_request
from tests.support.fleet import lab_fleet, store
from tests.test_cli_json import check

N = 20


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    """One fleet for every test here, with its own audit log: each run reads the log to
    find its lines, so a session's log (every test before) would make runs slower."""
    root = tmp_path_factory.mktemp("fleetlab")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FXKIT_AUDIT_LOG", str(root / "audit.jsonl"))
        with lab_fleet(root, N) as st:
            yield root, st


def _json(args):
    res = CliRunner().invoke(cli, args, catch_exceptions=False)
    return res.exit_code, json.loads(res.stdout)


def test_lab_start_hosts_serves_distinct_hosts_with_an_inventory(fleet):
    root, st = fleet
    names = [f"fx{i:02d}" for i in range(1, N + 1)]
    assert set(names) <= set(st.ports) and len({st.ports[n] for n in names}) == N
    text = (root / "inventory.ini").read_text()
    assert "[dom0s]" in text and f"-F {root / 'ssh_config'}" in text
    keys = {line.split()[2] for line in (root / "known_hosts").read_text().splitlines()}
    assert len(keys) == N + 1                       # one host key per fleet host, + fx's
    states = {n: store(root, n).load() for n in ("fx01", "fx02", "fx03")}
    assert [s.hostname for s in states.values()] == ["fx01", "fx02", "fx03"]


@pytest.mark.slow     # a few seconds of waiting: in make test, not make check
def test_inventory_limit_json_over_the_fleet(fleet):
    root, _ = fleet
    code, doc = _json(["inventory", "-i", str(root / "inventory.ini"), "--limit",
                       "dom0s:!fx07", "--forks", "10", "--json"])
    assert code == 0 and doc["schema"] == "fxkit.fleet/1"
    names = [h["name"] for h in doc["hosts"]]
    assert names == [f"fx{i:02d}" for i in range(1, N + 1) if i != 7]
    assert doc["summary"] == {"ok": N - 1, "changed": 0, "failed": 0, "unreachable": 0}
    sizes = {h["name"]: next(lv["size_bytes"] for lv in h["result"]["lvs"]
                             if lv["name"] == "data")
             for h in doc["hosts"]}
    assert sizes["fx01"] != sizes["fx02"]           # distinct states
    running = {h["name"]: sum(d.get("id") is not None for d in h["result"]["domains"])
               for h in doc["hosts"]}
    assert running["fx03"] == running["fx01"] - 1


@pytest.mark.slow     # a few seconds of waiting: in make test, not make check
def test_doctor_and_inventory_with_an_unreachable_host(fleet):
    root, _ = fleet
    store(root, "fx13").set_down()
    try:
        res = CliRunner().invoke(cli, ["doctor", "-i", str(root / "inventory.ini"),
                                       "--limit", "fx1*", "-f", "5"], catch_exceptions=False)
        assert res.exit_code == 4, res.output            # unreachable, none failed
        assert "fx13 : ok=0 changed=0 failed=0 unreachable=1" in res.stdout
        assert "Doctor findings per host" in res.stdout
        code, doc = _json(["inventory", "-i", str(root / "inventory.ini"), "--json"])
        assert code == 4 and doc["summary"]["unreachable"] == 1
        assert [h["name"] for h in doc["hosts"] if h["status"] != "ok"] == ["fx13"]
    finally:
        store(root, "fx13").set_down(False)


@pytest.mark.notebook
@pytest.mark.slow
def test_runbook_over_the_fleet_failures_stay_per_host(fleet, tmp_path):
    root, _ = fleet
    yml = tmp_path / "inv.yml"
    yml.write_text("all:\n  children:\n    dom0s:\n      hosts:\n" +
                   "".join(f"        fx{i:02d}:\n" for i in range(1, N + 1)) +
                   f"      vars:\n        ansible_ssh_common_args: '-F {root / 'ssh_config'}'\n")
    store(root, "fx13").set_down()
    with store(root, "fx05").transaction() as state:
        faults.fail_next(state, "lvcreate*", status=5, stderr="  Insufficient free space\n")
    try:
        done = subprocess.run(
            [sys.executable, "-c", "from fxkit.cli import main; main()", "run", "lv-create",
             "-i", str(yml), "--forks", "10", "-p", "lv", "fleetlv", "-p", "size", "256M",
             "-p", "filesystem", "", "--apply", "--runs-dir", str(tmp_path / "runs"),
             "--json"], capture_output=True, text=True, timeout=300)
    finally:
        store(root, "fx13").set_down(False)
    doc = json.loads(done.stdout)
    assert done.returncode == 1, done.stderr
    check(doc, "fleet")
    for h in doc["hosts"]:
        check(h["result"], "run")
    status = {h["name"]: h["status"] for h in doc["hosts"]}
    assert status.pop("fx13") == "unreachable" and status.pop("fx05") == "failed"
    assert set(status.values()) == {"changed"}
    records = {h["name"]: h["result"] for h in doc["hosts"]}
    assert records["fx05"]["status"] == "failed" and records["fx05"]["record"]
    assert len({r["record"] for r in records.values()}) == N      # one record per host
    def lvs(name):
        return run_request(store(root, name), argv=["lvs", "--noheadings", "-o", "lv_name"]
                           ).stdout.split()
    for name in ("fx05", "fx13"):                                   # nothing else disturbed
        assert "fleetlv" not in lvs(name)
    assert "fleetlv" in lvs("fx06")
