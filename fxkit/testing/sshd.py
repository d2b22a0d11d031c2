"""A throw-away OpenSSH ``sshd`` on a loopback port, for tests and benchmarks.

It has its own host key, user key, authorized_keys and known_hosts in a temp
directory, and a login user whose shell is ``/bin/sh`` (no rc files)::

    with TestSshd.start(tmpdir) as sshd:
        host = sshd.host()
        host.run(["true"])
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from fxkit.transports.ssh import SSHHost

SSHD = shutil.which("sshd") or "/usr/sbin/sshd"
TEST_USER = "fxkit-test"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sshd_missing_reason() -> str | None:
    """Why a real sshd cannot be started here, or None if it can."""
    if not os.path.exists(SSHD):
        return "OpenSSH server not installed (apt-get install openssh-server)"
    if os.geteuid() != 0:
        return "starting sshd for another user needs root"
    return None


def ensure_test_user() -> str:
    """A system user with /bin/sh as shell, so no rc file runs per command."""
    try:
        entry = pwd.getpwnam(TEST_USER)
    except KeyError:
        entry = None
        subprocess.run(["useradd", "--system", "--create-home", "--home-dir",
                        f"/var/lib/{TEST_USER}", "--shell", "/bin/sh", TEST_USER], check=True)
    # useradd locks the account ("!"); with UsePAM no, sshd refuses locked accounts even
    # for keys. "*" means: no password can ever match, but the account is not locked.
    if entry is None or _shadow_locked(TEST_USER):
        subprocess.run(["usermod", "-p", "*", TEST_USER], check=True)
    return TEST_USER


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _shadow_locked(user: str) -> bool:
    for line in Path("/etc/shadow").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name == user:
            return rest.startswith("!")
    return False


@dataclass
class TestSshd:
    dir: Path
    port: int
    user: str
    proc: subprocess.Popen[bytes] | None = None

    __test__ = False  # not a pytest test class

    @property
    def user_key(self) -> Path:
        return self.dir / "id_ed25519"

    @property
    def host_key(self) -> Path:
        return self.dir / "ssh_host_ed25519_key"

    @property
    def known_hosts(self) -> Path:
        return self.dir / "known_hosts"

    @classmethod
    def start(cls, directory: str | os.PathLike[str] | None = None, user: str | None = None,
              port: int | None = None) -> TestSshd:
        """Start sshd; its files live in ``directory`` (default: a new dir under /tmp).

        The login user must be able to read ``authorized_keys``, so every parent of the
        directory must be searchable by others (pytest's tmp_path is not: it is 0700).
        """
        d = Path(directory or tempfile.mkdtemp(prefix="fxkit-sshd-"))
        d.mkdir(parents=True, exist_ok=True)
        os.chmod(d, 0o755)
        self = cls(d, port or free_port(), user or ensure_test_user())
        if not self.host_key.exists():
            for key in (self.host_key, self.user_key):
                subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)],
                               check=True)
            (d / "authorized_keys").write_text(self.user_key.with_suffix(".pub").read_text())
            os.chmod(d / "authorized_keys", 0o644)
            self.write_known_hosts()
        (d / "sshd_config").write_text(self._config())
        Path("/run/sshd").mkdir(exist_ok=True)  # privilege separation dir sshd insists on
        self.launch()
        return self

    def write_known_hosts(self) -> None:
        pub = self.host_key.with_suffix(".pub").read_text().split()
        self.known_hosts.write_text(f"[127.0.0.1]:{self.port} {pub[0]} {pub[1]}\n")

    def _config(self) -> str:
        return "\n".join([
            f"Port {self.port}", "ListenAddress 127.0.0.1", f"HostKey {self.host_key}",
            f"PidFile {self.dir / 'sshd.pid'}", f"AuthorizedKeysFile {self.dir}/authorized_keys",
            "PasswordAuthentication no", "KbdInteractiveAuthentication no",
            "PubkeyAuthentication yes", "PermitRootLogin prohibit-password", "StrictModes no",
            "UsePAM no", "PrintMotd no", "PrintLastLog no", "AllowTcpForwarding yes",
            "MaxSessions 100", "MaxStartups 100", "Subsystem sftp internal-sftp",
            "LogLevel ERROR", ""])

    def launch(self) -> None:
        self.proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(self.dir / "sshd_config")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     start_new_session=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                raise RuntimeError(f"sshd exited at start: {err}")
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError(f"sshd did not listen on port {self.port} within 10s")

    def kill_all(self) -> None:
        """Kill the listener and every per-connection child: a hard drop for clients."""
        if self.proc is None:
            return
        # Per-connection sshd children call setsid(), so a process group kill misses them;
        # the unprivileged child holds the socket, so kill every descendant.
        for pid in [self.proc.pid, *_descendants(self.proc.pid)]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait()
        self.proc = None

    def restart(self) -> None:
        self.kill_all()
        self.launch()

    def stop(self) -> None:
        self.kill_all()

    def host(self, **kw: object) -> SSHHost:
        opts: dict[str, object] = dict(name="test-sshd", hostname="127.0.0.1", port=self.port,
                                       user=self.user, key_filenames=[str(self.user_key)],
                                       known_hosts=str(self.known_hosts))
        opts.update(kw)
        return SSHHost(**opts)  # type: ignore[arg-type]

    def ssh_config(self, alias: str = "testhost") -> Path:
        path = self.dir / "ssh_config"
        path.write_text(f"Host {alias}\n  HostName 127.0.0.1\n  Port {self.port}\n"
                        f"  User {self.user}\n  IdentityFile {self.user_key}\n"
                        f"  UserKnownHostsFile {self.known_hosts}\n  IdentitiesOnly yes\n")
        return path

    def __enter__(self) -> TestSshd:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
