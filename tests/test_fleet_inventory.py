"""Inventories read by fxkit equal what real ``ansible-inventory --list`` says; patterns."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fxkit.errors import InvalidRequest, ParseError
from fxkit.fleet import fleet_host, read_inventory_file, select

ANSIBLE_INVENTORY = Path(sys.executable).parent / "ansible-inventory"

INI = """\
# a comment
solo ansible_host=10.0.0.9 ansible_user=admin
[dom0s]
fx[01:05] ansible_user=root
fx07:2222 ansible_become=yes
[dom0s:vars]
ansible_ssh_common_args='-F /etc/fxkit/ssh_config -o StrictHostKeyChecking=accept-new'
depth=1
[web]
fx0[a:c]
[prod:children]
dom0s
web
[prod:vars]
depth=0
tags=["a", "b"]
ansible_group_priority=1
"""

YAML = """\
all:
  vars: {site: paris}
  hosts:
    lonely: {ansible_port: 2201}
  children:
    dom0s:
      vars: {depth: 1, ansible_become: true}
      hosts:
        fx[01:03]:
        fx09: {ansible_host: 192.0.2.9, depth: 9}
    prod:
      vars: {depth: 0}
      children:
        dom0s:
"""


def _ansible(path: Path) -> dict:
    done = subprocess.run([str(ANSIBLE_INVENTORY), "-i", str(path), "--list"], check=True,
                          capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "ANSIBLE_LOCAL_TEMP": str(path.parent),
                               "HOME": str(path.parent), "LC_ALL": "C.UTF-8"})
    return json.loads(done.stdout)


def _normal(doc: dict) -> dict:
    """Group membership as sets, hostvars as they are."""
    out = {"hostvars": doc["_meta"]["hostvars"]}
    for name, body in doc.items():
        if name != "_meta":
            out[name] = {k: sorted(v) for k, v in body.items()}
    return out


@pytest.mark.parametrize("name,text", [("inv.ini", INI), ("inv.yml", YAML)])
def test_parsed_like_ansible_inventory_list(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    ours = read_inventory_file(path).to_list_json()
    assert _normal(ours) == _normal(_ansible(path))


def test_dynamic_inventory_script_goes_through_ansible(tmp_path):
    script = tmp_path / "dyn.py"
    script.write_text("#!/usr/bin/env python3\nimport json\nprint(json.dumps({'dom0s': "
                      "{'hosts': ['fx01', 'fx02'], 'vars': {'ansible_user': 'root'}}, "
                      "'_meta': {'hostvars': {'fx02': {'ansible_port': 2202}}}}))\n")
    script.chmod(0o755)
    inv = read_inventory_file(script)
    assert select(inv, "dom0s") == ["fx01", "fx02"]
    assert inv.host_vars("fx02")["ansible_port"] == 2202
    assert inv.host_vars("fx01")["ansible_user"] == "root"


def test_patterns_follow_ansible_rules(tmp_path):
    (tmp_path / "inv.ini").write_text(INI)
    inv = read_inventory_file(tmp_path / "inv.ini")
    assert select(inv, "dom0s:!fx07") == ["fx01", "fx02", "fx03", "fx04", "fx05"]
    assert select(inv, "!fx07:dom0s") == select(inv, "dom0s:!fx07")     # order-free
    assert select(inv, "fx0*:&web") == ["fx0a", "fx0b", "fx0c"]
    assert select(inv, "prod:!web:!fx0[1-3]") == ["fx04", "fx05", "fx07"]
    assert select(inv, "~fx0[ab]") == ["fx0a", "fx0b"]
    assert select(inv, "dom0s[0]") == ["fx01"] and select(inv, "dom0s[1:2]") == ["fx02", "fx03"]
    assert select(inv, "solo,fx01") == ["solo", "fx01"]
    assert select(inv, None) == list(inv.hosts)
    with pytest.raises(InvalidRequest, match="'fx99' matches no host"):
        select(inv, "dom0s:!fx99")


def test_host_variables_map_to_connections(tmp_path):
    (tmp_path / "inv.ini").write_text(INI)
    inv = read_inventory_file(tmp_path / "inv.ini")
    fx07 = fleet_host("fx07", inv.host_vars("fx07"))
    assert fx07.target == "ssh://fx07:2222" and fx07.sudo and fx07.accept_new_host_key
    generated = Path(fx07.ssh_config).read_text()
    assert "StrictHostKeyChecking accept-new" in generated
    assert 'Include "/etc/fxkit/ssh_config"' in generated
    assert fleet_host("solo", inv.host_vars("solo")).target == "ssh://admin@10.0.0.9"
    assert fleet_host("lab:fourier", {}).target == "lab:fourier"
    assert fleet_host("box", {"ansible_connection": "local"}).target == "local"
    with pytest.raises(InvalidRequest, match="not a host name"):
        fleet_host("evil", {"ansible_host": "x;reboot"})
    with pytest.raises(InvalidRequest, match="plain ssh_config keyword"):
        fleet_host("evil", {"ansible_ssh_common_args": "-o 'ProxyCommand=nc %h 22'"})
    with pytest.raises(InvalidRequest, match="sudo -n only"):
        fleet_host("h", {"ansible_become": True, "ansible_become_method": "su"})


def test_malformed_inventories_name_the_line(tmp_path):
    bad = tmp_path / "bad.ini"
    bad.write_text("[dom0s]\nfx01 novalue\n")
    with pytest.raises(ParseError, match="bad.ini:2"):
        read_inventory_file(bad)
    bad.write_text("[prod:children]\nmissing\n")
    with pytest.raises(ParseError, match="undefined group 'missing'"):
        read_inventory_file(bad)


PREPARED = """
import sys
import fxkit.cli.fleetrun as fleetrun
seen = []
def run_fleet(hosts, job, **kw):          # where the worker threads would start
    seen.append("paramiko" in sys.modules and "encodings.idna" in sys.modules)
    return []
fleetrun.run_fleet = run_fleet
from fxkit.cli import main
sys.argv = ["fxkit", "inventory", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
print(seen, "paramiko" in sys.modules)
"""


@pytest.mark.parametrize("targets,imported", [(["lab:fx", "lab:fourier"], False),
                                              (["lab:fx", "ssh://fx01.invalid"], True)])
def test_a_fleet_imports_ssh_before_its_threads_start_and_only_when_needed(targets, imported):
    """``fxkit inventory`` on many hosts imports Paramiko (and the codec a host name is
    looked up with) once, before the workers (fifty threads would meet the same first
    imports at once); a fleet of lab hosts never does."""
    assert prepared(targets) == [f"[{imported}]", str(imported)]


def prepared(targets: list[str], **env: str) -> list[str]:
    done = subprocess.run([sys.executable, "-c", PREPARED, *targets], capture_output=True,
                          text=True, timeout=120, env={**os.environ, **env})
    assert done.stdout, done.stderr
    return done.stdout.splitlines()[-1].split()


def test_lab_hosts_that_the_lab_server_serves_count_as_ssh(tmp_path):
    """``lab:NAME`` goes over SSH when the lab's server serves it (``connect_lab``):
    then the fleet imports Paramiko before its threads too."""
    from fxkit.lab.ssh import daemon
    daemon.start(["fx", "fourier"], port=0, root=tmp_path)
    try:
        assert prepared(["lab:fx", "lab:fourier"], FXKIT_LAB_DIR=str(tmp_path)) == \
            ["[True]", "True"]
    finally:
        daemon.stop(tmp_path)
