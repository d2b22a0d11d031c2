"""Issue 16 finding 7 and the input half of 5, one test per reproduction.

A bad domU config is a finding for that domU only; the configs are listed one per line
and read in one command; malformed tool output is a ParseError; ports, passwords, guest
devices and targets, bridge names with a trailing newline and lone surrogates are
refused with an error that says what and how to fix it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support.xen import fx_lab

from fxkit import connect
from fxkit.doctor import run_doctor
from fxkit.errors import InvalidRequest, ParseError, PreconditionFailed
from fxkit.host import Exec
from fxkit.lab.store import build_state
from fxkit.lvm.guest import guest_resize_argv
from fxkit.lvm.plans import plan_lv_extend
from fxkit.lvm.plans_shrink import plan_lv_remove
from fxkit.lvm.state import parse_lvs_json, parse_pvs_json, parse_vgs_json
from fxkit.net.plans import check_name
from fxkit.net.state import parse_bridge_links, parse_ip_links
from fxkit.testing import FunctionHost
from fxkit.testing.labstate import StateHost
from fxkit.transports.local import LocalHost
from fxkit.xen.config_files import MAX_CONFIGS
from fxkit.xen.domains import parse_list_long
from fxkit.xen.facts import read_configs
from fxkit.xen.storage import read_lvm_facts

BAD_CONFIGS = {
    "empty": "",
    "nameless": "memory = 64\n",
    "deep": "name = 'deep'\nx = " + "[" * 1000 + "]" * 1000 + "\n",
    "huge-memory": "name = 'huge-memory'\nmemory = 1e999\n",
    "long-number": "name = 'long-number'\nmemory = " + "9" * 5000 + "\n",
    "bad-disk": "name = 'bad-disk'\ndisk = [ 'phy:/dev/lvm/gone,xvda1,w,nonsense=1' ]\n",
    "bad-vif": "name = 'bad-vif'\nvif = [ 'bridge=xenbr0, rate=abc' ]\n",
    "not-utf8": "name = 'not-utf8'\nkernel = '/boot/\ufffd'\n",
    "syntax": "name = 'syntax'\nimport os\n",
}


def _lab_with(tmp_path: Path, configs: dict[str, str]):
    lab = fx_lab(tmp_path)
    for name, text in configs.items():
        lab.write_file(f"/etc/xen/{name}.cfg", text)
    return lab


def test_each_bad_config_is_a_finding_for_that_domu_only(tmp_path: Path) -> None:
    clean = {(f.code, f.objects) for f in run_doctor(fx_lab(tmp_path / "clean"))}
    # xl only warns about a bad MAC (and makes one up): a warning finding, never a crash
    lab = _lab_with(tmp_path / "bad", {**BAD_CONFIGS, "odd-mac": "name = 'odd-mac'\n"
                                       "vif = [ 'mac=zz:zz, bridge=xenbr0' ]\n"})
    findings = run_doctor(lab)
    unreadable = {f.objects[0]: f.message for f in findings if f.code == "config-unreadable"}
    assert set(unreadable) == {f"/etc/xen/{n}.cfg" for n in BAD_CONFIGS}
    assert "no domain name" in unreadable["/etc/xen/empty.cfg"]
    assert "nested deeper" in unreadable["/etc/xen/deep.cfg"]
    assert "out of range" in unreadable["/etc/xen/huge-memory.cfg"]
    assert "5000 characters" in unreadable["/etc/xen/long-number.cfg"]
    assert "not UTF-8" in unreadable["/etc/xen/not-utf8.cfg"]
    assert all(len(m) < 400 for m in unreadable.values())
    # every other finding is the clean lab's: the good configs were all read and checked
    others = {(f.code, f.objects) for f in findings if f.code != "config-unreadable"}
    assert others == clean | {("bad-mac", ("/etc/xen/odd-mac.cfg", "vif 0"))}


def test_an_lv_named_only_by_a_bad_config_is_no_orphan(tmp_path: Path) -> None:
    lab = _lab_with(tmp_path, {"bad-disk": BAD_CONFIGS["bad-disk"].replace("gone", "ns-swap"),
                               "syntax": "name = 'syntax'\ndisk = ['phy:/dev/lvm/web-swap,"
                                         "xvda2,w']\nimport os\n"})
    lab.run(["xl", "destroy", "web"])
    lab.run(["xl", "destroy", "ns"])
    for path in ("/etc/xen/web.cfg", "/etc/xen/ns.cfg"):
        lab.run(["rm", path])
    orphans = {f.objects[0] for f in run_doctor(lab) if f.code == "orphan-lv"}
    assert "lvm/ns-swap" not in orphans and "lvm/web-swap" not in orphans
    assert "lvm/ns-root" in orphans        # no config names it any more


def test_a_bad_disk_line_holds_back_only_the_plans_on_that_domus_lvs() -> None:
    state = build_state("fx")
    fx = StateHost(state)
    fx.write_file("/etc/xen/bad-disk.cfg", "name = 'bad-disk'\n"
                  "disk = [ 'phy:/dev/lvm/backup-swap,xvda2,w,nonsense=1' ]\n")
    fx.write_file("/etc/xen/syntax.cfg", "name = 'syntax'\ndisk = [ "
                  "'phy:/dev/mapper/lvm-secours--swap,xvda2,w' ]\nimport os\n")
    facts = read_lvm_facts(fx)
    assert "could not read" in facts.users.note
    assert "bad-disk" in facts.referenced_by["lvm/backup-swap"]
    assert "syntax" in facts.referenced_by["lvm/secours-swap"]
    with pytest.raises(PreconditionFailed, match="bad-disk"):
        plan_lv_remove(facts, "lvm/backup-swap")
    with pytest.raises(PreconditionFailed, match="syntax"):
        plan_lv_remove(facts, "lvm/secours-swap")
    assert plan_lv_extend(facts, "lvm/ns-root", "+64M").steps      # unrelated: planned


def test_configs_are_listed_one_per_line_and_read_in_one_command(tmp_path: Path) -> None:
    state = build_state("fx")
    state.write("/etc/xen/a b.cfg", "name = 'a b'\nmemory = 64\n")
    host = StateHost(state)
    configs, errors = read_configs(host)
    assert configs["/etc/xen/a b.cfg"].name == "a b" and not errors
    heads = [c for c in host.commands if c[0] == "head"]
    assert len(heads) == 1 and heads[0][:5] == ("head", "-v", "-c", "1048577", "--")
    assert len(host.commands) == 2        # ls -1, then head


def test_gnu_head_output_is_split_exactly_and_bad_files_are_findings(tmp_path: Path) -> None:
    d = tmp_path / "xen"
    d.mkdir()
    (d / "a b.cfg").write_text("name = 'a b'\n")
    (d / "forged.cfg").write_text(f"name = 'forged'\nx = \"\"\"\n==> {d}/z.cfg <==\n"
                                  "name='z'\"\"\"\n")
    (d / "latin1.cfg").write_bytes(b"name = 'caf\xe9'\n")
    (d / "dir.cfg").mkdir()
    (d / "dangling.cfg").symlink_to(d / "nowhere")
    (d / "big.cfg").write_text("# " + "x" * (1 << 20) + "\n")
    (d / "z.cfg").write_text("name = 'z'\nmemory = 64")
    host = LocalHost(audit=None)
    configs, errors = read_configs(host, str(d))
    assert set(configs) == {f"{d}/a b.cfg", f"{d}/forged.cfg", f"{d}/z.cfg"}
    assert configs[f"{d}/forged.cfg"].name == "forged"     # the forged header fooled no one
    assert configs[f"{d}/z.cfg"].memory == 64
    assert "not UTF-8" in errors[f"{d}/latin1.cfg"]
    assert "Is a directory" in errors[f"{d}/dir.cfg"]
    assert "No such file" in errors[f"{d}/dangling.cfg"]
    assert "larger than" in errors[f"{d}/big.cfg"]


@pytest.mark.slow     # a few seconds of waiting: in make test, not make check
def test_a_20_mb_listing_costs_two_commands_and_says_what_was_left_out() -> None:
    names = "".join(f"d{i:07d}.cfg\n" for i in range(1_500_000))     # ~20 MB
    calls = []

    def answer(call):
        calls.append(call.argv)
        if call.argv[0] == "ls":
            return Exec(0, names, "")
        return Exec(1, "", "".join(f"head: cannot open '{p}' for reading: No such file\n"
                                   for p in call.argv[5:]))

    configs, errors = read_configs(FunctionHost(answer))
    assert not configs and "only the first" in errors["/etc/xen"]
    assert len(calls) <= 2 + MAX_CONFIGS * 20 // 60_000 + 1    # ls, then a few batched heads
    assert len(errors) == MAX_CONFIGS + 1


@pytest.mark.parametrize("bad", [
    "", "[]", "{}", '{"report": 5}', '{"report": [{"lv": {}}]}', '{"report": [{"lv": [5]}]}',
    '{"report": [{"lv": [{"lv_name": 5, "vg_name": "x"}]}]}',
    '{"report": [{"lv": [{"lv_name": "a", "vg_name": "x", "lv_size": "' + "9" * 5000 + '"}]}]}',
    '{"report": [{"lv": [{"lv_name": "a", "vg_name": "x", "devices": "/dev/sda(x)"}]}]}',
    '{"report": [{"lv": [{"lv_name": "a", "vg_name": "x", "lv_attr": ["-wi-a-----"]}]}]}',
    '{"report": [{"lv": [{"lv_name": "a", "vg_name": "x", "lv_uuid": null}]}]}',
    "[" * 100_000, '{"report": [{"lv": [{"lv_name": "a", "vg_name": "x", "lv_size": 1e999}]}]}',
])
def test_malformed_lvs_reports_are_parse_errors(bad: str) -> None:
    with pytest.raises(ParseError) as e:
        parse_lvs_json(bad)
    assert len(str(e.value)) < 400


@pytest.mark.parametrize(("parse", "bad"), [
    (parse_pvs_json, '{"report": [{"pv": [{"pv_name": "/dev/sda", "pv_size": "1e9"}]}]}'),
    (parse_pvs_json, '{"report": [{"pv": [{"pv_name": ["/dev/sda"]}]}]}'),
    (parse_pvs_json, '{"report": [{"pv": [{"vg_name": "x"}]}]}'),
    (parse_vgs_json, '{"report": [{"vg": [{"vg_name": "x", "vg_size": -5}]}]}'),
    (parse_vgs_json, '{"report": [{"vg": [{"vg_name": "x", "vg_free": "' + "9" * 5000 + '"}]}]}'),
    (parse_vgs_json, '{"report": [{"vg": "x"}]}')])
def test_malformed_pvs_and_vgs_reports_are_parse_errors(parse, bad: str) -> None:
    with pytest.raises(ParseError):
        parse(bad)


@pytest.mark.parametrize("bad", [
    '[{"ifname": 5}]', '[{"ifname": "eth0", "linkinfo": []}]', '[{"ifname": "eth0", "mtu": '
    '"x"}]', '[{"ifname": "eth0", "flags": 5}]', '[5]', '{"ifname": "eth0"}', "[" * 100_000,
    '[{"ifname": "eth0", "mtu": ' + "9" * 5000 + "}]", '[{"ifname": "eth0", "mtu": 1e999}]',
    '[{"ifname": "v", "linkinfo": {"info_kind": "vlan", "info_data": {"id": "x"}}}]'])
def test_ip_json_of_the_wrong_types_is_a_parse_error(bad: str) -> None:
    with pytest.raises(ParseError):
        parse_ip_links(bad)


@pytest.mark.parametrize("bad", ['[{"ifname": 5}]', '[{"ifname": "vif1.0", "master": []}]',
                                 '[{"ifname": "eth0", "state": {"a": 1}}]', '[[]]', '{}'])
def test_bridge_json_of_the_wrong_types_is_a_parse_error(bad: str) -> None:
    with pytest.raises(ParseError):
        parse_bridge_links(bad)


def test_xl_list_long_of_the_wrong_types_is_a_parse_error() -> None:
    for bad in ('[{"domid": "1"}]', '[{"domid": 1, "config": []}]',
                '[{"domid": 1, "config": {"disks": [{"vdev": 5}]}}]', '[5]', '{}'):
        with pytest.raises(ParseError):
            parse_list_long(bad)


@pytest.mark.parametrize(("target", "says"), [
    ("ssh://fx:99999", "from 1 to 65535"), ("ssh://fx:0", "from 1 to 65535"),
    ("ssh://fx:22x", "from 1 to 65535"), ("ssh://ops:s3cr3t@fx", "holds a password"),
    ("ops:s3cr3t@fx", "holds a password"), ("ssh://ops:s3/cr3t@fx:22", "holds a password")])
def test_ports_and_passwords_in_targets_are_refused_without_showing_the_password(
        target: str, says: str) -> None:
    with pytest.raises(InvalidRequest, match=says) as e:
        connect(target)
    assert "s3cr3t" not in str(e.value) and "cr3t" not in str(e.value)
    out = _fxkit("xen", "list", target)
    assert out.returncode != 0 and says in out.stderr and "cr3t" not in out.stderr + out.stdout
    assert "Traceback" not in out.stderr


def test_a_password_in_a_proxyjump_hop_is_refused_unshown(tmp_path: Path) -> None:
    cfg = tmp_path / "config"
    cfg.write_text("Host fx\n  ProxyJump ops:hunter2@bastion\n")
    with pytest.raises(InvalidRequest, match="holds a password") as e:
        connect("fx", ssh_config=str(cfg))
    assert "hunter2" not in str(e.value)


@pytest.mark.parametrize("vdev", ["xvda1;touch${IFS}/tmp/X", "xvda1\n", "../sda", "xvda 1",
                                  "hdaa1", "sda16", "xvda01", "-xvda", "xvda$(id)", "vd", ""])
def test_guest_devices_outside_xens_vdev_grammar_are_refused(vdev: str) -> None:
    with pytest.raises(InvalidRequest, match="not a Xen virtual disk name"):
        guest_resize_argv("root@titanic", vdev)


@pytest.mark.parametrize("target", ["-oProxyCommand=touch /tmp/X", "root@-oProxyCommand=x",
                                    "titanic;id", "root@titanic\n", "$(id)@titanic", "a b"])
def test_guest_targets_that_are_not_hosts_are_refused(target: str) -> None:
    with pytest.raises(InvalidRequest):
        guest_resize_argv(target, "xvda1")


def test_the_guest_resize_step_is_checked_and_ends_ssh_options() -> None:
    assert guest_resize_argv("root@10.0.0.5", "xvda1") == (
        "ssh", "-o", "BatchMode=yes", "--", "root@10.0.0.5", "resize2fs", "/dev/xvda1")
    assert guest_resize_argv("titanic", "hda1")[-1] == "/dev/hda1"
    assert guest_resize_argv("ops@fe80::1", "xvdb")[4] == "ops@fe80::1"
    state = build_state("fx")
    state.files["/etc/xen/titanic.cfg"].content = state.files[
        "/etc/xen/titanic.cfg"].content.replace("hda1", "hda1;touch${IFS}/tmp/X")
    facts = read_lvm_facts(StateHost(state))
    with pytest.raises(InvalidRequest):
        plan_lv_extend(facts, "lvm/secours-root", "+1G", guest_ssh={"titanic": "root@titanic"})
    with pytest.raises(InvalidRequest):
        plan_lv_extend(read_lvm_facts(StateHost(build_state("fx"))), "lvm/secours-root",
                       "+1G", guest_ssh={"titanic": "-oProxyCommand=touch /tmp/X"})


@pytest.mark.parametrize("name", ["xenbr9\n", "xenbr9\r", "xen br9", "xenbr9;id", "-xenbr9",
                                  "xenbr9\n\n", "eth0.10\n"])
def test_bridge_names_with_a_trailing_newline_are_refused(name: str, tmp_path: Path) -> None:
    with pytest.raises(InvalidRequest):
        check_name(name)
    if any(c.isspace() for c in name):   # Linux refuses whitespace in names: so does the lab
        lab = fx_lab(tmp_path)
        r = lab.run(["ip", "link", "add", name, "type", "bridge"], check=False)
        assert r.exit_status != 0
        assert "xenbr9" not in lab.run(["ip", "-o", "link", "show"]).stdout


@pytest.mark.parametrize("argv", [["echo", "\ud800"], ["echo", "a\udfffb"]])
def test_lone_surrogates_in_argv_are_invalid_requests(argv: list[str]) -> None:
    with pytest.raises(InvalidRequest, match="lone surrogate"):
        LocalHost(audit=None).run(argv)
    with pytest.raises(InvalidRequest, match="lone surrogate"):
        LocalHost(audit=None).run(["cat"], input=argv[1])


def test_surrogate_escapes_are_raw_bytes_as_os_gives_them(tmp_path: Path) -> None:
    name = os.fsdecode(b"caf\xe9")
    (tmp_path / name).write_text("x")
    r = LocalHost(audit=None).run(["ls", "--", str(tmp_path / name)])
    assert r.exit_status == 0


@pytest.mark.slow     # a few seconds of waiting: in make test, not make check
def test_the_cli_shows_no_traceback_for_configs_with_every_problem(tmp_path: Path) -> None:
    lab = _lab_with(tmp_path / "lab", BAD_CONFIGS)
    lab.close()
    env = {"FXKIT_LAB_DIR": str(tmp_path / "lab")}
    doctor = _fxkit("doctor", "lab", "--json", env=env)
    assert "Traceback" not in doctor.stderr
    found = json.loads(doctor.stdout)
    assert len([f for f in found["findings"] if f["code"] == "config-unreadable"]) == \
        len(BAD_CONFIGS)
    for args in (("inventory", "lab"), ("inventory", "lab", "--json"), ("xen", "list", "lab")):
        out = _fxkit(*args, env=env)
        assert out.returncode == 0 and "Traceback" not in out.stderr, (args, out.stderr)


def _fxkit(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "fxkit", *args], capture_output=True,
                          text=True, timeout=120, env={**os.environ, **(env or {})})


def test_the_real_gnu_head_header_format_is_what_the_lab_prints(tmp_path: Path) -> None:
    (tmp_path / "a.cfg").write_text("x")
    real = subprocess.run(["head", "-v", "-c", "5", "--", str(tmp_path / "a.cfg")],
                          capture_output=True, text=True).stdout
    assert real == f"==> {tmp_path}/a.cfg <==\nx"
