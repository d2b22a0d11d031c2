"""The host options on every command that connects (--sudo, -F/--ssh-config,
--accept-new-host-key) and where they go: -v naming the ssh_config parser, `fxkit run`
handing them to the runbook's kernel, the inventory's layers, `fxkit sudoers`."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from fxkit.audit import AuditLog
from fxkit.cli import cli
from fxkit.connect import connect
from fxkit.privilege import sudoers_rule, sudoers_user
from fxkit.runbook.runner import connect_env

# commands with a --host that filters records by host name: they connect to nothing
FILTERS = {("audit", "tail"), ("runs",)}
# commands that connect to the host a run record names (no HOST of their own)
RECORDED_HOST = {("runs", "resume")}
HOST_OPTIONS = {"sudo", "ssh_config", "accept_new_host_key"}


def commands(group: click.Group = cli, path: tuple[str, ...] = ()):
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        yield (*path, name), cmd
        if isinstance(cmd, click.Group):
            yield from commands(cmd, (*path, name))


@pytest.fixture
def lab(tmp_path, monkeypatch):
    from fxkit.lab import reset
    monkeypatch.setenv("FXKIT_LAB_DIR", str(tmp_path / "lab"))
    monkeypatch.setenv("FXKIT_AUDIT_LOG", str(tmp_path / "audit.jsonl"))
    monkeypatch.delenv("FXKIT_SSH_CONFIG", raising=False)
    reset("fx")
    return AuditLog(tmp_path / "audit.jsonl")


@pytest.fixture
def refused_cfg(tmp_path):
    """An ssh_config whose host fx is a port nothing listens on."""
    path = tmp_path / "ssh_config"
    path.write_text("Host fx\n  HostName 127.0.0.1\n  Port 1\n  ConnectTimeout 5\n")
    return path


def invoke(*args: object, code: int | None = 0):
    out = CliRunner().invoke(cli, [str(a) for a in args])
    if code is not None:
        assert out.exit_code == code, (args, out.output, out.exception)
    return out


def test_every_command_that_connects_takes_the_host_options():
    connecting = []
    for path, cmd in commands():
        names = [p.name for p in cmd.params]
        assert len(names) == len(set(names)), f"fxkit {' '.join(path)}: an option twice"
        if "host" in names and path not in FILTERS:
            connecting.append(" ".join(path))
            assert HOST_OPTIONS <= set(names), f"fxkit {' '.join(path)} lacks {HOST_OPTIONS}"
            text = invoke(*path, "--help").output
            assert "--sudo" in text and "-F, --ssh-config FILE" in text
            assert "--accept-new-host-key" in text
        elif path not in RECORDED_HOST:
            assert not HOST_OPTIONS & set(names), f"fxkit {' '.join(path)} connects to nothing"
    assert {"inventory", "doctor", "run", "runs unlock", "lvm show", "lvm plan-create",
            "lvm plan-vgextend", "xen list", "xen info", "xen config", "xen console",
            "xen create", "xen reboot", "net show", "net diagram", "net drift",
            "net plan-delete"} <= set(connecting)
    assert "xen mac" not in connecting


def test_sudo_reaches_every_command_sent(lab):
    for args in (("inventory",), ("doctor",), ("lvm", "show"), ("xen", "list"),
                 ("xen", "info"), ("net", "show"), ("runs", "unlock")):
        invoke(*args, "lab", "--sudo")
    invoke("lvm", "plan-create", "lvm", "scratch", "256M", "lab", "--apply", "--sudo")
    argvs = [line["argv"] for line in lab.lines()]
    assert len(argvs) > 20 and all(a[:3] == ["sudo", "-n", "--"] for a in argvs), \
        [a for a in argvs if a[:3] != ["sudo", "-n", "--"]]
    assert ["sudo", "-n", "--", "lvcreate", "--yes", "-n", "scratch", "-l", "64", "lvm"] in argvs
    seen = len(argvs)
    invoke("inventory", "lab")
    assert all(line["argv"][0] != "sudo" for line in lab.lines()[seen:])


def test_verbose_says_which_parser_resolved_the_ssh_config(refused_cfg, monkeypatch):
    parser = "ssh -G" if shutil.which("ssh") else "paramiko"
    monkeypatch.delenv("FXKIT_SSH_CONFIG", raising=False)
    out = invoke("-v", "inventory", "fx", "-F", refused_cfg, code=None)
    assert f"fxkit.ssh: fx: ssh_config resolved by {parser} -F {refused_cfg}" in out.stderr
    quiet = invoke("inventory", "fx", "-F", refused_cfg, code=None)
    assert "fxkit.ssh" not in quiet.stderr
    monkeypatch.setenv("FXKIT_SSH_CONFIG", str(refused_cfg))     # the same, from the env
    out = invoke("--verbose", "lvm", "show", "fx", code=None)
    assert f"resolved by {parser} -F {refused_cfg}" in out.stderr


def test_ssh_config_reaches_the_connection_and_the_error_exits_4(refused_cfg, capsys,
                                                                 monkeypatch):
    from fxkit.cli import main
    monkeypatch.setattr("sys.argv", ["fxkit", "doctor", "fx", "-F", str(refused_cfg), "--sudo"])
    with pytest.raises(SystemExit) as e:
        main()
    err = capsys.readouterr().err
    assert e.value.code == 4 and "127.0.0.1" in err and "Traceback" not in err


def test_run_takes_sudo_as_a_flag_not_a_parameter():
    out = invoke("run", "host-inventory", "-p", "sudo", "true", code=2)
    assert "use --sudo rather than -p sudo" in out.output


def test_the_kernel_environment_says_the_ssh_config_and_accept_new(tmp_path, monkeypatch):
    assert connect_env() == {}
    monkeypatch.chdir(tmp_path)
    env = connect_env("conf/ssh_config", accept_new_host_key=True)
    assert env == {"FXKIT_SSH_CONFIG": str(tmp_path / "conf" / "ssh_config"),
                   "FXKIT_ACCEPT_NEW_HOST_KEY": "1"}


def test_connect_reads_accept_new_host_key_from_the_environment(refused_cfg, monkeypatch):
    monkeypatch.delenv("FXKIT_ACCEPT_NEW_HOST_KEY", raising=False)
    assert not connect("fx", ssh_config=str(refused_cfg)).accept_new_host_key
    assert connect("fx", ssh_config=str(refused_cfg), accept_new_host_key=True) \
        .accept_new_host_key
    for value, accept in (("1", True), ("yes", True), ("0", False), ("", False)):
        monkeypatch.setenv("FXKIT_ACCEPT_NEW_HOST_KEY", value)
        assert connect("fx", ssh_config=str(refused_cfg)).accept_new_host_key is accept


PROBE = {
    "cells": [
        {"cell_type": "code", "execution_count": None, "id": "p", "outputs": [],
         "metadata": {"tags": ["parameters"]},
         "source": 'host: str = "lab"\napply: bool = False\nsudo: bool = False\n'},
        {"cell_type": "code", "execution_count": None, "id": "q", "outputs": [],
         "metadata": {},
         "source": "import os\nimport fxkit\nfrom fxkit.runbook import report_outcome\n\n"
                   "h = fxkit.connect(host, sudo=sudo)   # builds the host, connects to nothing\n"
                   'report_outcome("succeeded", False, "probe", runbook="probe", host=h,\n'
                   "               hostname=h.hostname, port=h.port, sudo=h.sudo,\n"
                   "               accept=h.accept_new_host_key,\n"
                   '               config=os.environ.get("FXKIT_SSH_CONFIG"))\n'},
    ],
    "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                "name": "python3"}},
    "nbformat": 4, "nbformat_minor": 5,
}


@pytest.mark.notebook
def test_run_hands_sudo_ssh_config_and_accept_new_to_the_runbook_kernel(tmp_path,
                                                                        monkeypatch):
    probe = tmp_path / "probe.ipynb"
    probe.write_text(json.dumps(PROBE))
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "ssh_config").write_text("Host fx\n  HostName 10.5.5.5\n  Port 2222\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FXKIT_SSH_CONFIG", raising=False)
    monkeypatch.delenv("FXKIT_ACCEPT_NEW_HOST_KEY", raising=False)
    out = invoke("run", probe, "--host", "fx", "-F", "conf/ssh_config", "--sudo",
                 "--accept-new-host-key", "--runs-dir", tmp_path / "runs", "--json")
    doc = json.loads(out.stdout)
    assert doc["status"] == "succeeded" and doc["parameters"]["sudo"] is True, doc
    assert {k: doc["outcome"][k] for k in ("hostname", "port", "sudo", "accept", "config")} \
        == {"hostname": "10.5.5.5", "port": 2222, "sudo": True, "accept": True,
            "config": str(tmp_path / "conf" / "ssh_config")}
    plain = json.loads(invoke("run", probe, "--host", "fx", "--runs-dir", tmp_path / "runs",
                              "--json").stdout)
    assert {k: plain["outcome"][k] for k in ("hostname", "sudo", "accept", "config")} == \
        {"hostname": "fx", "sudo": False, "accept": False, "config": None}
    assert not plain["parameters"].get("sudo")


@pytest.mark.notebook
@pytest.mark.parametrize("where", ["run -v", "fxkit -v"])
def test_run_verbose_names_the_parser_and_an_unreachable_host_exits_4(refused_cfg, tmp_path,
                                                                      capsys, monkeypatch,
                                                                      where):
    from fxkit.cli import main
    parser = "ssh -G" if shutil.which("ssh") else "paramiko"
    args = ["run", "host-inventory", "--host", "fx", "-F", str(refused_cfg), "--runs-dir",
            str(tmp_path)]
    args = [*args, "-v"] if where == "run -v" else ["-v", *args]
    monkeypatch.setattr("sys.argv", ["fxkit", *args])
    with pytest.raises(SystemExit) as e:
        main()
    err = capsys.readouterr().err
    assert e.value.code == 4, err
    assert f"fxkit.ssh: fx: ssh_config resolved by {parser} -F {refused_cfg}" in err


def test_sudoers_prints_fxkits_rule_for_a_user():
    assert invoke("sudoers", "ops").output == sudoers_rule("ops")
    assert invoke("sudoers", "ops", "--groups", "read,lock,lvm").output == \
        sudoers_rule("ops", ("read", "lock", "lvm"))
    assert invoke("sudoers", "ops2", "--groups", "read", "--user-line").output == \
        sudoers_user("ops2", ("read",)) == "ops2 ALL=(root) NOPASSWD: FXKIT_READ\n"
    for bad in ("ops ALL=(ALL) ALL", "%sudo", "#0", "-ops", "a,b"):
        assert "is not a login name" in invoke("sudoers", "--", bad, code=2).output
    assert "nope: choose among read,lock,lvm,xen,net,files" in \
        invoke("sudoers", "ops", "--groups", "read,nope", code=2).output
    help_text = invoke("sudoers", "--help").output
    assert "visudo -f /etc/sudoers.d/fxkit" in help_text and "lvm    change LVM" in help_text


@pytest.mark.skipif(shutil.which("visudo") is None, reason="sudo is not installed")
def test_sudoers_output_is_accepted_by_visudo():
    for args in (("ops",), ("ops", "--groups", "read,lock")):
        done = subprocess.run(["visudo", "-c", "-q", "-f", "-"], text=True,
                              input=invoke("sudoers", *args).output, capture_output=True)
        assert done.returncode == 0, done.stdout + done.stderr


def test_help_tells_a_new_user_about_sudo():
    text = " ".join(invoke("--help").output.split())
    assert "--sudo" in text and "fxkit sudoers USER" in text and "-v, --verbose" in text


def test_the_readme_shows_fxkits_own_rule_and_options():
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    real = readme.split("\n## Real hosts\n")[1].split("\n## ")[0]
    block = real.split("Here it is, wrapped:\n\n```\n")[1].split("```")[0]
    rule = sudoers_rule("ops").split("\n", 1)[1]          # without its header comment
    assert block.replace(" \\\n    ", " ") == rule
    for words in ("`--sudo`", "`-F FILE`, `--ssh-config FILE`", "`--accept-new-host-key`",
                  "`fxkit -v", "fxkit sudoers ops --groups read", "--user-line",
                  "FXKIT_SSH_CONFIG", "FXKIT_ACCEPT_NEW_HOST_KEY=1", "### Partial facts"):
        assert words in real, words


def test_a_bad_wipe_size_is_a_usage_error_not_a_traceback(lab):
    out = invoke("lvm", "plan-create", "lvm", "x", "1G", "--wipe", "abc", code=2)
    assert "'abc': give a number of MiB, or all" in out.output
    assert lab.lines() == []                     # refused before connecting
