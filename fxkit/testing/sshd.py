"""A throw-away OpenSSH ``sshd`` on a loopback port or in a network namespace, for tests.

It has its own host key, user key, authorized_keys and known_hosts in a temp
directory, and a login user whose shell is ``/bin/sh`` (no rc files). Every user of
the machine may log in with the same key (``fxkit.testing.accounts`` makes more users);
``config=`` adds sshd_config lines (``SetEnv``...), ``certify`` gives it a host
certificate, ``netns=`` runs it inside a namespace (``fxkit.testing.netchain``)::

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

from fxkit.transports.known_hosts import host_name
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
    address: str = "127.0.0.1"
    netns: str | None = None
    config: tuple[str, ...] = ()

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

    @property
    def known_name(self) -> str:
        """This server's name in known_hosts: ``[address]:port``, or the address on port 22."""
        return host_name(self.address, self.port)

    @property
    def host_key_line(self) -> str:
        """``TYPE BASE64`` of the host key (a known_hosts line without the name)."""
        return " ".join(self.host_key.with_suffix(".pub").read_text().split()[:2])

    @classmethod
    def start(cls, directory: str | os.PathLike[str] | None = None, user: str | None = None,
              port: int | None = None, *, address: str = "127.0.0.1", netns: str | None = None,
              config: tuple[str, ...] = ()) -> TestSshd:
        """Start sshd; its files live in ``directory`` (default: a new dir under /tmp).

        The login user must be able to read ``authorized_keys``, so every parent of the
        directory must be searchable by others (pytest's tmp_path is not: it is 0700).
        In a namespace the port defaults to 22 (nothing else listens there).
        """
        d = Path(directory or tempfile.mkdtemp(prefix="fxkit-sshd-"))
        d.mkdir(parents=True, exist_ok=True)
        os.chmod(d, 0o755)
        self = cls(d, port or (22 if netns else free_port()), user or ensure_test_user(),
                   address=address, netns=netns, config=tuple(config))
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
        self.known_hosts.write_text(f"{self.known_name} {self.host_key_line}\n")

    def certify(self, ca_key: str | os.PathLike[str], principals: str | None = None,
                validity: str = "-5m:+1h", key_id: str = "fxkit-test-host") -> Path:
        """Sign the host key with ``ca_key`` (``ssh-keygen -s CA -h``), serve the certificate
        (HostCertificate) and restart; returns the certificate's path."""
        subprocess.run(["ssh-keygen", "-q", "-s", str(ca_key), "-I", key_id, "-h",
                        "-n", principals or self.address, "-V", validity,
                        str(self.host_key.with_suffix(".pub"))], check=True)
        cert = self.dir / f"{self.host_key.name}-cert.pub"
        self.config = (*self.config, f"HostCertificate {cert}")
        (self.dir / "sshd_config").write_text(self._config())
        self.restart()
        return cert

    def _config(self) -> str:
        return "\n".join([
            f"Port {self.port}", f"ListenAddress {self.address}", f"HostKey {self.host_key}",
            f"PidFile {self.dir / 'sshd.pid'}", f"AuthorizedKeysFile {self.dir}/authorized_keys",
            "PasswordAuthentication no", "KbdInteractiveAuthentication no",
            "PubkeyAuthentication yes", "PermitRootLogin prohibit-password", "StrictModes no",
            "UsePAM no", "PrintMotd no", "PrintLastLog no", "AllowTcpForwarding yes",
            "MaxSessions 100", "MaxStartups 100", "Subsystem sftp internal-sftp",
            "LogLevel ERROR", *self.config, ""])

    def launch(self) -> None:
        pidfile = self.dir / "sshd.pid"
        pidfile.unlink(missing_ok=True)
        argv = [SSHD, "-D", "-e", "-f", str(self.dir / "sshd_config")]
        if self.netns:
            argv = ["ip", "netns", "exec", self.netns, *argv]   # ip execs sshd: same pid
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     start_new_session=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                raise RuntimeError(f"sshd exited at start: {err}")
            if self._listening(pidfile):
                return
            time.sleep(0.02)
        raise RuntimeError(f"sshd did not listen on {self.address}:{self.port} within 10s")

    def _listening(self, pidfile: Path) -> bool:
        if self.netns:   # not reachable from here: sshd writes its PidFile once it listens
            return pidfile.exists()
        try:
            socket.create_connection((self.address, self.port), 0.2).close()
            return True
        except OSError:
            return False

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
        opts: dict[str, object] = dict(name="test-sshd", hostname=self.address, port=self.port,
                                       user=self.user, key_filenames=[str(self.user_key)],
                                       known_hosts=str(self.known_hosts))
        opts.update(kw)
        return SSHHost(**opts)  # type: ignore[arg-type]

    def stanza(self, alias: str, *, user: str | None = None, **options: object) -> str:
        """An ssh_config ``Host`` block for this server; ``options`` add directives
        (``ProxyJump="hop"``; ``None`` leaves a default out)."""
        lines = {"HostName": self.address, "Port": self.port, "User": user or self.user,
                 "IdentityFile": self.user_key, "UserKnownHostsFile": self.known_hosts,
                 "IdentitiesOnly": "yes", **options}
        return f"Host {alias}\n" + "".join(f"  {k} {v}\n" for k, v in lines.items()
                                           if v is not None)

    def ssh_config(self, alias: str = "testhost") -> Path:
        path = self.dir / "ssh_config"
        path.write_text(self.stanza(alias))
        return path

    def __enter__(self) -> TestSshd:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
