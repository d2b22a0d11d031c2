"""connect(target): the target syntax and its errors."""

import pytest

from fxkit import connect
from fxkit.errors import InvalidRequest
from fxkit.transports.local import LocalHost
from fxkit.transports.ssh import SSHHost


def test_local():
    assert isinstance(connect("local"), LocalHost)


def test_ssh_url():
    h = connect("ssh://admin@fx.example:2222")
    assert isinstance(h, SSHHost)
    assert (h.hostname, h.port, h.user) == ("fx.example", 2222, "admin")


def test_ssh_config_alias_and_proxyjump(tmp_path):
    cfg = tmp_path / "config"
    cfg.write_text("Host fx\n  HostName 10.0.0.5\n  Port 2200\n  User root\n"
                   "  IdentityFile ~/.ssh/fx_key\n  ProxyJump bastion\n"
                   "Host bastion\n  HostName gw.example\n  User jump\n")
    h = connect("fx", ssh_config=str(cfg))
    assert (h.hostname, h.port, h.user) == ("10.0.0.5", 2200, "root")
    assert h.key_filenames[0].endswith("/.ssh/fx_key") and "~" not in h.key_filenames[0]
    assert h.jump is not None and (h.jump.hostname, h.jump.user) == ("gw.example", "jump")


def test_user_at_alias_overrides_config_user(tmp_path):
    cfg = tmp_path / "config"
    cfg.write_text("Host fx\n  User root\n")
    assert connect("ops@fx", ssh_config=str(cfg)).user == "ops"


@pytest.mark.parametrize("bad", ["", "  ", "http://fx", "fx; rm -rf /", "a b"])
def test_bad_targets_are_refused(bad):
    with pytest.raises(InvalidRequest):
        connect(bad)


def test_nothing_connects_at_construction():
    h = connect("ssh://nobody@192.0.2.1:22")  # TEST-NET: never contacted
    assert not h.connected


def test_lab_real_needs_the_real_lab_running_and_says_how(tmp_path, monkeypatch):
    monkeypatch.setenv("FXKIT_LAB_DIR", str(tmp_path))
    with pytest.raises(InvalidRequest, match=r"fxkit lab start --real"):
        connect("lab:real")


def test_lab_real_is_dom0_over_ssh_from_the_labs_ssh_config(tmp_path, monkeypatch):
    from fxkit.lab.real import lifecycle
    monkeypatch.setenv("FXKIT_LAB_DIR", str(tmp_path))
    real = tmp_path / "real"
    real.mkdir()
    (real / "ssh_config").write_text(
        "Host fxkit-real\n  HostName 127.0.0.1\n  Port 40022\n  User root\n"
        f"  UserKnownHostsFile {real / 'known_hosts'}\n")
    monkeypatch.setattr(lifecycle, "status_real", lambda: {"running": True})
    monkeypatch.setattr("fxkit.lab.real.status_real", lambda: {"running": True})
    host = connect("lab:real")
    assert isinstance(host, SSHHost) and host.name == "lab:real"
    assert (host.hostname, host.port, host.user) == ("127.0.0.1", 40022, "root")
    assert host.known_hosts == str(real / "known_hosts")


def test_sudo_is_said_once_and_every_command_then_goes_through_sudo_n(tmp_path, monkeypatch):
    from fxkit.audit import AuditLog
    from fxkit.lvm import read_lvm

    monkeypatch.setenv("FXKIT_LAB_DIR", str(tmp_path))
    host = connect("lab", sudo=True)
    host.audit = AuditLog(tmp_path / "audit.jsonl")
    assert read_lvm(host).vg("lvm") is not None          # the lab's root takes sudo -n --
    host.run(["sudo", "-n", "--", "true"])                 # never doubled
    argvs = [line["argv"] for line in host.audit.lines()]
    assert argvs and all(a[:3] == ["sudo", "-n", "--"] for a in argvs)
    assert ["sudo", "-n", "--", "true"] in argvs
    assert connect("lab").sudo is False
