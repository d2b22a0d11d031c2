"""fxkit against Debian's real OpenSSH sshd, configured the way OpenSSH reads ssh_config:
known_hosts written byte for byte as OpenSSH would, @revoked, @cert-authority with a host
certificate made by ``ssh-keygen -s``, Include, the system file, several known_hosts files,
ProxyCommand, login shells. OpenSSH's own ``ssh`` client checks what fxkit writes."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from fxkit import connect
from fxkit.errors import ConnectionFailed, HostKeyRejected
from fxkit.testing.accounts import Accounts
from fxkit.testing.sshd import TestSshd, sshd_missing_reason
from fxkit.transports import openssh

pytestmark = pytest.mark.sshd


@pytest.fixture(scope="module")
def sshd():
    if reason := sshd_missing_reason():
        pytest.skip(reason)
    d = TestSshd.start()
    yield d
    d.stop()
    shutil.rmtree(d.dir, ignore_errors=True)


def config(path: Path, *stanzas: str) -> Path:
    path.write_text("".join(stanzas))
    return path


def openssh_agrees(cfg: Path, alias: str) -> None:
    """OpenSSH's own client, strict, with the same ssh_config: it must trust the host too."""
    done = subprocess.run(["ssh", "-F", str(cfg), "-o", "BatchMode=yes", "-o",
                           "StrictHostKeyChecking=yes", alias, "true"],
                          capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr


# -- known_hosts ----------------------------------------------------------------------------

ORIGINAL = ("# hosts I trust (kept as is)\n\n"
            "oldhost,10.0.0.9 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPt2vYNBz0p8j6Wf7rBlHd4p0m7Zx"
            "xIbQYQbB7bP8bIY old box\n"
            "|1|V7jCwx1JQbVdS5S3YzSzVn2c1WQ=|pRzCTkJ1SbMQpNnbx1xzOZ5bFmQ= ssh-ed25519 AAAAC3Nza"
            "C1lZDI1NTE5AAAAIPt2vYNBz0p8j6Wf7rBlHd4p0m7ZxxIbQYQbB7bP8bIY\n"
            "@cert-authority *.corp ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPt2vYNBz0p8j6Wf7rBlHd4p"
            "0m7ZxxIbQYQbB7bP8bIY\t\n"
            "last-line ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPt2vYNBz0p8j6Wf7rBlHd4p0m7ZxxIbQYQbB"
            "7bP8bIY")                                     # no newline at the end


@pytest.mark.parametrize("hashed", [False, True])
def test_accepting_a_key_appends_one_line_and_leaves_every_other_byte(sshd, tmp_path, hashed):
    kh = tmp_path / "known_hosts"
    kh.write_bytes(ORIGINAL.encode())
    cfg = config(tmp_path / "config", sshd.stanza(
        "fx", UserKnownHostsFile=kh, StrictHostKeyChecking="yes",
        HashKnownHosts="yes" if hashed else "no"))
    with pytest.raises(HostKeyRejected, match="unknown host key"):
        connect("fx", ssh_config=str(cfg)).run(["true"])
    assert kh.read_bytes() == ORIGINAL.encode()                   # refused: nothing written
    with connect("fx", ssh_config=str(cfg), accept_new_host_key=True) as h:
        assert h.run(["echo", "hi"]).stdout == "hi\n"
    data = kh.read_text()
    assert data.startswith(ORIGINAL + "\n") and data.count("\n") == ORIGINAL.count("\n") + 2
    new = data[len(ORIGINAL) + 1:]
    assert new.endswith(f" {sshd.host_key_line}\n")
    assert new.startswith("|1|") if hashed else new.startswith(f"{sshd.known_name} ")
    found = subprocess.run(["ssh-keygen", "-F", sshd.known_name, "-f", str(kh)],
                           capture_output=True, text=True)
    assert found.returncode == 0                                   # OpenSSH finds the entry
    with connect("fx", ssh_config=str(cfg)) as h:                  # and now it is known
        h.run(["true"])
    assert kh.read_text() == data
    openssh_agrees(cfg, "fx")


def test_accept_new_in_ssh_config_records_and_no_is_refused(sshd, tmp_path):
    kh = tmp_path / "kh"
    cfg = config(tmp_path / "config",
                 sshd.stanza("new", UserKnownHostsFile=kh, StrictHostKeyChecking="accept-new"),
                 sshd.stanza("off", UserKnownHostsFile=tmp_path / "kh-off",
                             StrictHostKeyChecking="no"))
    with connect("new", ssh_config=str(cfg)) as h:
        h.run(["true"])
    assert kh.read_text() == f"{sshd.known_name} {sshd.host_key_line}\n"
    with pytest.raises(HostKeyRejected, match="StrictHostKeyChecking no.*never turns"):
        connect("off", ssh_config=str(cfg)).run(["true"])
    assert not (tmp_path / "kh-off").exists()


def test_every_user_known_hosts_file_and_the_global_one_are_read(sshd, tmp_path):
    empty, second, glob = tmp_path / "empty", tmp_path / "second", tmp_path / "global"
    empty.write_text("# nothing\n")
    second.write_text(sshd.known_hosts.read_text())
    glob.write_text(sshd.known_hosts.read_text())
    cfg = config(tmp_path / "config",
                 sshd.stanza("two", UserKnownHostsFile=f"{empty} {second}"),
                 sshd.stanza("global", UserKnownHostsFile=empty, GlobalKnownHostsFile=glob),
                 sshd.stanza("neither", UserKnownHostsFile=empty,
                             GlobalKnownHostsFile=tmp_path / "none"))
    for alias in ("two", "global"):
        with connect(alias, ssh_config=str(cfg)) as h:
            assert h.run(["echo", alias]).stdout == f"{alias}\n"
    with pytest.raises(HostKeyRejected, match="unknown host key"):
        connect("neither", ssh_config=str(cfg)).run(["true"])
    with connect("neither", ssh_config=str(cfg), accept_new_host_key=True) as h:
        h.run(["true"])
    assert empty.read_text() == f"# nothing\n{sshd.known_name} {sshd.host_key_line}\n"
    assert glob.read_text() == sshd.known_hosts.read_text()


def test_a_revoked_host_key_is_refused(sshd, tmp_path):
    kh = tmp_path / "kh"
    kh.write_text(sshd.known_hosts.read_text() + f"@revoked * {sshd.host_key_line}\n")
    cfg = config(tmp_path / "config", sshd.stanza("fx", UserKnownHostsFile=kh))
    for accept in (False, True):
        with pytest.raises(HostKeyRejected, match=r"marks @revoked: fxkit never uses"):
            connect("fx", ssh_config=str(cfg), accept_new_host_key=accept).run(["true"])


@pytest.fixture(scope="module")
def cert_sshd(tmp_path_factory):
    """An sshd whose host key is signed by a CA (``ssh-keygen -s ca -h``)."""
    if reason := sshd_missing_reason():
        pytest.skip(reason)
    d = TestSshd.start()
    ca = d.dir / "ca"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(ca)], check=True)
    d.certify(ca)
    yield d, " ".join(ca.with_suffix(".pub").read_text().split()[:2])
    d.stop()
    shutil.rmtree(d.dir, ignore_errors=True)


def test_a_host_certificate_signed_by_a_cert_authority_connects(cert_sshd, tmp_path):
    sshd, ca = cert_sshd
    kh = tmp_path / "kh"
    kh.write_text(f"# our CA\n@cert-authority [127.0.0.1]:* {ca}\n")
    cfg = config(tmp_path / "config", sshd.stanza("fx", UserKnownHostsFile=kh))
    with connect("fx", ssh_config=str(cfg)) as h:
        assert h.run(["echo", "certified"]).stdout == "certified\n"
        key = h.connection().get_transport().get_remote_server_key()
        assert key.public_blob.key_type == "ssh-ed25519-cert-v01@openssh.com"
    assert kh.read_text() == f"# our CA\n@cert-authority [127.0.0.1]:* {ca}\n"
    openssh_agrees(cfg, "fx")


def test_a_certificate_from_an_unlisted_ca_is_not_trusted(cert_sshd, tmp_path):
    sshd, _ = cert_sshd
    other = tmp_path / "other-ca"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)], check=True)
    kh = tmp_path / "kh"
    kh.write_text("@cert-authority [127.0.0.1]:* "
                  + " ".join(other.with_suffix(".pub").read_text().split()[:2]) + "\n")
    cfg = config(tmp_path / "config", sshd.stanza("fx", UserKnownHostsFile=kh))
    with pytest.raises(HostKeyRejected, match="signed by CA .* which no @cert-authority line"):
        connect("fx", ssh_config=str(cfg)).run(["true"])


# -- ssh_config -----------------------------------------------------------------------------

@pytest.mark.parametrize("source", ["ssh -G", "paramiko"])
def test_include_is_followed(sshd, tmp_path, monkeypatch, source):
    if source == "paramiko":
        monkeypatch.setattr(openssh, "ssh_client", lambda: None)
    (tmp_path / "hosts.d").mkdir()
    (tmp_path / "hosts.d" / "fx.conf").write_text(sshd.stanza("included"))
    cfg = config(tmp_path / "config", f"Include {tmp_path}/hosts.d/*.conf\n")
    with connect("included", ssh_config=str(cfg)) as h:
        assert h.config_source == source
        assert h.run(["whoami"]).stdout.strip() == sshd.user


def test_the_system_ssh_config_is_read(sshd, monkeypatch):
    """Debian's /etc/ssh/ssh_config includes /etc/ssh/ssh_config.d/*.conf."""
    if "ssh_config.d/*.conf" not in Path(openssh.SYSTEM_CONFIG).read_text():
        pytest.skip("this system's /etc/ssh/ssh_config does not include ssh_config.d")
    monkeypatch.delenv("FXKIT_SSH_CONFIG", raising=False)
    alias = f"fxkit-system-{sshd.port}"
    path = Path(f"/etc/ssh/ssh_config.d/{alias}.conf")
    path.write_text(sshd.stanza(alias))
    try:
        with connect(alias) as h:
            assert h.run(["echo", "system"]).stdout == "system\n"
    finally:
        path.unlink()


def test_proxycommand_runs_with_the_users_shell_as_openssh_does(sshd, tmp_path):
    cfg = tmp_path / "config"
    config(cfg, sshd.stanza("direct"),
           sshd.stanza("proxied", ProxyCommand=f"ssh -F {cfg} -W %h:%p direct 2>/dev/null"),
           sshd.stanza("broken", ProxyCommand="sh -c 'echo no way >&2; exit 3'"))
    with connect("proxied", ssh_config=str(cfg)) as h:
        assert h.run(["echo", "via proxy"]).stdout == "via proxy\n"
        assert h._proxy is not None and h._proxy.proc.poll() is None
        proc = h._proxy.proc
    assert proc.poll() is not None                       # closed with the connection
    with pytest.raises(ConnectionFailed, match=r"ProxyCommand `sh -c 'echo no way >&2; exit 3'"
                                               r"`: it exited with status 3; it said: no way"):
        connect("broken", ssh_config=str(cfg)).run(["true"])


# -- login shells -----------------------------------------------------------------------------

TRICKY = ["a b", "'", '"', "$HOME", "`id`", "$(id)", ";", "&&", "|", "\\", "*", "~", "!x",
          "line\nbreak", "\ttab", "", "%h", "-n", "--"]


@pytest.mark.parametrize("shell", ["/bin/sh", "/bin/bash", "/bin/dash"])
def test_argv_reaches_the_program_verbatim_whatever_the_login_shell(sshd, tmp_path, shell):
    if not Path(shell).exists():
        pytest.skip(f"{shell} is not installed")
    with Accounts() as accounts:
        user = accounts.user("shell", shell)
        cfg = config(tmp_path / "config", sshd.stanza("fx", user=user))
        with connect("fx", ssh_config=str(cfg)) as h:
            assert h.run(["printf", "%s|", *TRICKY]).stdout == "|".join(TRICKY) + "|"
            assert h.run(["sh", "-c", "echo $0", "ignored"]).stdout == "ignored\n"
            path = f"/tmp/fxkit-shell-{user}"
            h.write_file(path, "written\n")               # SFTP, whatever the shell
            assert h.read_file(path) == "written\n"
            h.run(["rm", "-f", path])
