"""The SSH transport against Debian's real OpenSSH sshd, started on a loopback port."""

import shutil
import subprocess
import threading
import time

import pytest

from fxkit.audit import AuditLog
from fxkit.connect import connect
from fxkit.errors import (
    AuthenticationFailed,
    CommandFailed,
    CommandTimedOut,
    HostKeyRejected,
    NotReplayable,
    SudoPasswordRequired,
)
from fxkit.testing.sshd import TestSshd, sshd_missing_reason

pytestmark = pytest.mark.sshd


@pytest.fixture(scope="module")
def sshd(tmp_path_factory):
    if reason := sshd_missing_reason():
        pytest.skip(reason)
    d = TestSshd.start()
    yield d
    d.stop()
    shutil.rmtree(d.dir, ignore_errors=True)


@pytest.fixture
def host(sshd, tmp_path):
    h = sshd.host(audit=AuditLog(tmp_path / "audit.jsonl"))
    yield h
    h.close()


def test_runs_commands_with_status_and_streams(host):
    r = host.run(["sh", "-c", "echo out; echo err >&2; exit 3"], check=False)
    assert (r.exit_status, r.stdout, r.stderr) == (3, "out\n", "err\n")
    assert host.run(["echo", "a b", "c'd"]).stdout == "a b c'd\n"


def test_arguments_reach_the_remote_unsplit(host):
    r = host.run(["printf", "%s|", "one two", "$HOME", "; rm -rf /", "`id`"])
    assert r.stdout == "one two|$HOME|; rm -rf /|`id`|"


def test_one_connection_serves_many_commands(host):
    seen = {host.run(["sh", "-c", "echo $SSH_CONNECTION"]).stdout for _ in range(20)}
    assert len(seen) == 1  # same client port every time: one TCP connection


def test_aes_gcm_is_preferred_where_the_server_has_it(host):
    """GCM's integrity check runs in C, CTR+HMAC's comparison in Python (aead_first)."""
    from fxkit.transports.ssh import aead_first
    host.run(["true"])
    transport = host.connection().get_transport()
    assert transport.remote_cipher == transport.local_cipher == "aes128-gcm@openssh.com"
    assert aead_first(("aes128-ctr", "aes256-gcm@openssh.com", "aes256-ctr")) == (
        "aes256-gcm@openssh.com", "aes128-ctr", "aes256-ctr")


def test_failure_raises_command_failed(host):
    with pytest.raises(CommandFailed, match="exited with status 2"):
        host.run(["ls", "/no/such"])


def test_timeout_kills_the_remote_command(host, sshd):
    start = time.monotonic()
    with pytest.raises(CommandTimedOut):
        host.run(["sleep", "47.25"], timeout=1)
    assert time.monotonic() - start < 5
    time.sleep(0.5)
    left = subprocess.run(["pgrep", "-f", "sleep 47.25"], capture_output=True, text=True)
    assert left.stdout == "", "the remote sleep survived the timeout"
    assert host.run(["echo", "still usable"]).stdout == "still usable\n"


def test_megabyte_on_stderr_does_not_hang(host):
    r = host.run(["sh", "-c", "head -c 1000000 /dev/zero | tr '\\0' x >&2; echo done"],
                 timeout=30)
    assert len(r.stderr) == 1_000_000 and r.stdout == "done\n"


def test_more_than_the_ssh_window_on_each_stream_does_not_hang(host):
    """5 MB on stderr before any stdout, then 5 MB on stdout: more than the channel's
    window (2 MB), so a client that waits on one stream while the other fills hangs."""
    r = host.run(["sh", "-c", "head -c 5000000 /dev/zero | tr '\\0' e >&2; "
                  "head -c 5000000 /dev/zero | tr '\\0' o"], timeout=60)
    assert r.stderr == "e" * 5_000_000 and r.stdout == "o" * 5_000_000


def test_stdin(host):
    assert host.run(["wc", "-l"], input="a\nb\nc\n").stdout.strip() == "3"


def test_files_atomic_with_mode(host, sshd):
    path = f"/tmp/fxkit-sftp-{sshd.port}"
    host.run(["sh", "-c", f"echo old > {path}; chmod 600 {path}"])
    host.write_file(path, "new content\n")
    assert host.read_file(path) == "new content\n"
    assert host.run(["stat", "-c", "%a", path]).stdout.strip() == "600"
    host.run(["rm", "-f", path])


def test_unknown_host_key_is_refused_with_fingerprint(sshd, tmp_path):
    h = sshd.host(known_hosts=str(tmp_path / "empty_known_hosts"))
    with pytest.raises(HostKeyRejected, match=r"unknown host key ssh-ed25519 SHA256:") as e:
        h.run(["true"])
    assert "accept_new_host_key=True" in str(e.value)


def test_opt_in_records_the_new_key(sshd, tmp_path):
    kh = tmp_path / "kh"
    sshd.host(known_hosts=str(kh), accept_new_host_key=True).run(["true"])
    assert f"[127.0.0.1]:{sshd.port} ssh-ed25519" in kh.read_text()
    assert sshd.host(known_hosts=str(kh)).run(["echo", "ok"]).stdout == "ok\n"


def test_changed_host_key_is_refused(sshd, tmp_path):
    other = tmp_path / "other"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)], check=True)
    kind, key = other.with_suffix(".pub").read_text().split()[:2]
    kh = tmp_path / "kh"
    kh.write_text(f"[127.0.0.1]:{sshd.port} {kind} {key}\n")
    with pytest.raises(HostKeyRejected, match="CHANGED") as e:
        sshd.host(known_hosts=str(kh), accept_new_host_key=True).run(["true"])
    assert "ssh-keygen -R" in str(e.value)


def test_wrong_key_is_an_authentication_failure(sshd, tmp_path):
    other = tmp_path / "id"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)], check=True)
    with pytest.raises(AuthenticationFailed, match="refused our keys"):
        sshd.host(key_filenames=[str(other)]).run(["true"])


def test_ssh_config_alias_and_proxyjump(sshd):
    cfg = sshd.ssh_config("fxtest")
    with cfg.open("a") as fh:
        fh.write(f"Host via-jump\n  HostName 127.0.0.1\n  Port {sshd.port}\n  User {sshd.user}\n"
                 f"  IdentityFile {sshd.user_key}\n  UserKnownHostsFile {sshd.known_hosts}\n"
                 "  ProxyJump fxtest\n")
    with connect("fxtest", ssh_config=str(cfg)) as h:
        assert h.run(["whoami"]).stdout.strip() == sshd.user
    with connect("via-jump", ssh_config=str(cfg)) as h:
        assert h.jump is not None
        assert h.run(["echo", "jumped"]).stdout == "jumped\n"


def test_sudo_without_password_rights_says_so(host):
    with pytest.raises(SudoPasswordRequired, match="never sends passwords"):
        host.run(["true"], sudo=True)


def test_read_only_command_survives_sshd_restart(sshd, tmp_path):
    h = sshd.host(audit=AuditLog(tmp_path / "a.jsonl"))
    first = h.run(["sh", "-c", "echo $SSH_CONNECTION"], read_only=True).stdout
    sshd.restart()
    again = h.run(["sh", "-c", "echo $SSH_CONNECTION"], read_only=True).stdout
    assert again and again != first  # a new connection, transparently
    h.close()


def test_drop_during_mutating_command_is_not_replayed(sshd, tmp_path):
    h = sshd.host(audit=AuditLog(tmp_path / "a.jsonl"))
    h.run(["true"])
    drop = threading.Timer(0.7, sshd.restart)
    drop.start()
    with pytest.raises(NotReplayable, match="may or may not have run"):
        h.run(["sh", "-c", "sleep 3; echo mutated"])
    drop.join()
    h.close()


def test_drop_during_read_only_command_is_retried(sshd, tmp_path):
    h = sshd.host(audit=AuditLog(tmp_path / "a.jsonl"))
    h.run(["true"])
    drop = threading.Timer(0.7, sshd.restart)
    drop.start()
    r = h.run(["sh", "-c", "sleep 1.5; echo read"], read_only=True, timeout=20)
    drop.join()
    assert r.stdout == "read\n"
    h.close()


def test_file_reads_share_one_sftp_session(host):
    host.write_file("/tmp/fxkit-sftp-reuse", "x\n")
    first = host._sftp()
    for _ in range(5):
        assert host.read_file("/tmp/fxkit-sftp-reuse") == "x\n"
    assert host._sftp() is first
    host.close()  # a new connection gets a new session, transparently
    assert host.read_file("/tmp/fxkit-sftp-reuse") == "x\n" and host._sftp() is not first
    host.run(["rm", "-f", "/tmp/fxkit-sftp-reuse"])


@pytest.mark.parametrize("after_kexinit", [False, True])
def test_server_closing_during_the_handshake_is_a_connection_failure(tmp_path, after_kexinit):
    """Closing before the banner gives SSHException; right after the client's KEXINIT,
    Paramiko raises a bare EOFError: both must become ConnectionFailed."""
    import socket as _socket

    from fxkit.errors import ConnectionFailed
    from fxkit.transports.ssh import SSHHost
    srv = _socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)

    def serve_once():
        conn, _ = srv.accept()
        if after_kexinit:
            conn.sendall(b"SSH-2.0-OpenSSH_9.2p1\r\n")
            conn.recv(100)          # the client's banner
            time.sleep(0.3)
            conn.recv(4096)         # its KEXINIT
        conn.close()

    t = threading.Thread(target=serve_once, daemon=True)
    t.start()
    h = SSHHost(name="closing", hostname="127.0.0.1", port=srv.getsockname()[1],
                known_hosts=str(tmp_path / "kh"), connect_timeout=5, audit=None)
    with pytest.raises(ConnectionFailed, match="cannot connect to 127.0.0.1"):
        h.connection()
    t.join(5)
    srv.close()
