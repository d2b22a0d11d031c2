"""ssh_config as OpenSSH reads it: ``ssh -G`` (and Paramiko's parser when ssh is absent), the
target allowlist that keeps shell syntax out of ``Match exec``, ProxyJump hops. Nothing
connects here; tests/test_real_hosts_openssh.py connects to a real sshd."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from fxkit import connect
from fxkit.errors import InvalidRequest
from fxkit.transports import openssh
from fxkit.transports.ssh_config import parse_hop, ssh_host

needs_ssh = pytest.mark.skipif(shutil.which("ssh") is None,
                               reason="OpenSSH client (ssh) is not installed")


@pytest.fixture(params=["ssh -G", "paramiko"])
def source(request, monkeypatch):
    """Each resolution test runs with OpenSSH's answer and with the Paramiko fallback."""
    if request.param == "ssh -G" and shutil.which("ssh") is None:
        pytest.skip("OpenSSH client (ssh) is not installed: apt-get install openssh-client")
    if request.param == "paramiko":
        monkeypatch.setattr(openssh, "ssh_client", lambda: None)
    return request.param


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_include_match_tokens_and_known_hosts_settings(tmp_path, source, caplog):
    write(tmp_path / "conf.d" / "fx.conf",
          "Host fx\n  HostName 10.0.0.5\n  Port 2200\n  User ops\n"
          f"  IdentityFile {tmp_path}/keys/%r@%h\n  IdentitiesOnly yes\n"
          f"  UserKnownHostsFile {tmp_path}/kh1 {tmp_path}/kh2\n"
          f"  GlobalKnownHostsFile {tmp_path}/global\n  StrictHostKeyChecking accept-new\n"
          "  HashKnownHosts yes\n  ConnectTimeout 7\n  ServerAliveInterval 15\n"
          "  HostKeyAlias fx-key\n")
    cfg = write(tmp_path / "config", f"Include {tmp_path}/conf.d/*.conf\n"
                                     "Host *\n  Port 2999\n")
    caplog.set_level(logging.DEBUG, logger="fxkit.ssh")
    h = ssh_host("fx", ssh_config=str(cfg))
    assert h.config_source == source and f"resolved by {source}" in caplog.text
    assert (h.hostname, h.port, h.user) == ("10.0.0.5", 2200, "ops")   # first value wins
    assert h.key_filenames == [f"{tmp_path}/keys/ops@10.0.0.5"] and h.identities_only
    assert h.known_hosts == f"{tmp_path}/kh1"
    assert h.also_known_hosts == (f"{tmp_path}/kh2", f"{tmp_path}/global")
    assert (h.host_key_checking, h.hash_known_hosts, h.host_key_alias) == \
        ("accept-new", True, "fx-key")
    assert (h.connect_timeout, h.keepalive_seconds) == (7.0, 15)


def test_defaults_follow_openssh(tmp_path, source):
    h = ssh_host("plain.example", ssh_config=str(write(tmp_path / "config", "")))
    home = openssh._home()
    assert (h.hostname, h.port, h.host_key_checking, h.hash_known_hosts) == \
        ("plain.example", 22, "ask", False)
    assert h.known_hosts == f"{home}/.ssh/known_hosts"
    assert h.also_known_hosts == (f"{home}/.ssh/known_hosts2", "/etc/ssh/ssh_known_hosts",
                                  "/etc/ssh/ssh_known_hosts2")
    assert f"{home}/.ssh/id_ed25519" in h.key_filenames and h.jump is None


def test_explicit_user_and_port_win_over_the_config(tmp_path, source):
    cfg = write(tmp_path / "config", "Host fx\n  User root\n  Port 2200\n")
    h = connect("ssh://ops@fx:2222", ssh_config=str(cfg))
    assert (h.user, h.port, h.name) == ("ops", 2222, "ssh://ops@fx:2222")
    assert connect("admin@fx", ssh_config=str(cfg)).user == "admin"


@pytest.mark.parametrize(("value", "policy"), [("yes", "yes"), ("accept-new", "accept-new"),
                                               ("ask", "ask"), ("no", "no"), ("off", "no")])
def test_strict_host_key_checking_values(tmp_path, source, value, policy):
    cfg = write(tmp_path / "config", f"Host fx\n  StrictHostKeyChecking {value}\n")
    assert ssh_host("fx", ssh_config=str(cfg)).host_key_checking == policy


def test_proxyjump_hops_in_order_each_with_its_own_settings(tmp_path, source):
    cfg = write(tmp_path / "config",
                "Host fx\n  HostName 10.0.3.2\n  ProxyJump hop1,ops@hop2:2200\n"
                "Host hop1\n  HostName 10.0.1.2\n  User jump1\n  ProxyJump bastion\n"
                "Host hop2\n  HostName 10.0.2.2\n  ProxyJump elsewhere\n"
                "  UserKnownHostsFile /tmp/hop2-known\n"
                "Host bastion\n  HostName 192.0.2.7\n")
    h = ssh_host("fx", ssh_config=str(cfg))
    hop2 = h.jump
    assert hop2 is not None and (hop2.hostname, hop2.user, hop2.port) == ("10.0.2.2", "ops", 2200)
    assert hop2.known_hosts == "/tmp/hop2-known"          # the hop's own known_hosts
    hop1 = hop2.jump                                       # not hop2's own "elsewhere"
    assert hop1 is not None and (hop1.hostname, hop1.user) == ("10.0.1.2", "jump1")
    assert hop1.jump is not None and hop1.jump.hostname == "192.0.2.7"   # hop1's own jump
    assert hop1.jump.jump is None and h.proxy_command is None


def test_proxyjump_loops_and_bad_hops_are_refused(tmp_path, source):
    loop = write(tmp_path / "loop", "Host a\n  ProxyJump b\nHost b\n  ProxyJump a\n")
    with pytest.raises(InvalidRequest, match="is there a loop"):
        ssh_host("a", ssh_config=str(loop))
    for bad in ("a/b", "a;b", "ssh://h/path", "ftp://h"):
        with pytest.raises(InvalidRequest, match="ProxyJump hop"):
            parse_hop(bad, "fx")
    assert parse_hop("ops@h:2200", "fx") == ("h", "ops", 2200)
    assert parse_hop("ssh://h", "fx") == ("h", None, None)


def test_proxycommand_is_kept_as_written_and_none_turns_it_off(tmp_path, source):
    cfg = write(tmp_path / "config",
                "Host pc\n  ProxyCommand ssh -W %h:%p gw\nHost off\n  ProxyCommand none\n"
                "Host both\n  ProxyJump gw\n  ProxyCommand nc %h %p\n"
                "Host gw\n  HostName 10.1.1.1\n")
    command = ssh_host("pc", ssh_config=str(cfg)).proxy_command
    assert command == ("ssh -W %h:%p gw" if source == "ssh -G" else "ssh -W pc:22 gw")
    assert openssh.expand_tokens(command, {"h": "pc", "p": "22"}) == "ssh -W pc:22 gw"
    assert ssh_host("off", ssh_config=str(cfg)).proxy_command is None
    both = ssh_host("both", ssh_config=str(cfg))     # the first one given wins, as in OpenSSH
    assert both.proxy_command is None and both.jump is not None


def test_fxkit_ssh_config_is_the_default_file(tmp_path, source, monkeypatch):
    cfg = write(tmp_path / "config", "Host fx\n  HostName 10.9.9.9\n")
    monkeypatch.setenv("FXKIT_SSH_CONFIG", str(cfg))
    assert connect("fx").hostname == "10.9.9.9"


def test_the_system_file_and_relative_includes_in_the_fallback(tmp_path, monkeypatch):
    monkeypatch.setattr(openssh, "ssh_client", lambda: None)
    monkeypatch.delenv("FXKIT_SSH_CONFIG", raising=False)
    monkeypatch.setattr(openssh, "_home", lambda: str(tmp_path))
    write(tmp_path / ".ssh" / "config", "Include conf.d/*\n")
    write(tmp_path / ".ssh" / "conf.d" / "a", "Host fx\n  HostName 10.7.7.7\n")
    system = write(tmp_path / "system", "Host *\n  Port 2201\n  User sysuser\n")
    monkeypatch.setattr(openssh, "SYSTEM_CONFIG", str(system))
    h = ssh_host("fx")
    assert (h.hostname, h.port, h.user, h.config_source) == \
        ("10.7.7.7", 2201, "sysuser", "paramiko")


@needs_ssh
def test_a_config_openssh_refuses_is_a_clear_error(tmp_path):
    cfg = write(tmp_path / "config", "Host fx\n  NoSuchOption yes\n")
    with pytest.raises(InvalidRequest, match=r"(?i)OpenSSH refuses it \(`ssh -G`\).*NoSuchOption"):
        connect("fx", ssh_config=str(cfg))
    with pytest.raises(InvalidRequest, match="OpenSSH refuses it"):
        connect("fx", ssh_config=str(tmp_path / "missing"))


@needs_ssh
def test_match_exec_runs_only_with_clean_names(tmp_path):
    """fxkit xen list 'a<({touch,PWNED})' once created a file through `Match exec`."""
    flag, marker = tmp_path / "flag", tmp_path / "PWNED"
    cfg = write(tmp_path / "config",
                f'Match exec "test -e {flag}"\n  HostName 10.4.4.4\n'
                f'Match exec "echo %h >> {tmp_path}/seen"\n  User seen\n')
    assert connect("fx", ssh_config=str(cfg)).hostname == "fx"
    flag.touch()
    assert connect("fx", ssh_config=str(cfg)).hostname == "10.4.4.4"  # Match exec honoured
    for hostile in ["a<({touch,PWNED})", "fx;touch PWNED", "$(touch PWNED)", "`touch PWNED`",
                    "fx touch", "-oProxyCommand=touch PWNED", "fx|touch", "a'b", "fx%h",
                    "ev!l@fx", "a@b@fx", "ssh://a<b@fx", "ssh://fx/path", "ssh://[fx]:22",
                    "fe80::1%eth0"]:
        with pytest.raises(InvalidRequest):
            connect(hostile, ssh_config=str(cfg))
    assert not marker.exists() and not (Path.cwd() / "PWNED").exists()
    # only the two clean lookups ran it (%h is the HostName the first Match set)
    assert (tmp_path / "seen").read_text().split() == ["fx", "10.4.4.4"]


@pytest.mark.parametrize(("target", "hostname", "user"), [
    ("fx", "fx", None), ("fx-1.example.org", "fx-1.example.org", None),
    ("10.0.0.5", "10.0.0.5", None), ("ops@fx", "fx", "ops"), ("ops_1@fx_2", "fx_2", "ops_1"),
    ("ssh://ops@[::1]:2222", "::1", "ops"), ("::1", "::1", None)])
def test_plain_names_addresses_and_users_are_accepted(tmp_path, source, target, hostname,
                                                      user):
    h = connect(target, ssh_config=str(write(tmp_path / "config", "")))
    assert (h.hostname, h.user) == (hostname, user or openssh._local_user())
