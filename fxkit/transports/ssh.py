"""A host over SSH (Paramiko): one connection reused for every command.

Host keys are verified as OpenSSH does (``fxkit.transports.hostkeys``: known_hosts,
@revoked, @cert-authority); an unknown key is only recorded with
``accept_new_host_key=True`` or ``StrictHostKeyChecking accept-new``, and a changed key is
always refused. Paramiko and socket errors become fxkit errors here and nowhere else.
Commands are sent as ``fxkit.transports.argv.command_line`` builds them, so argv reaches
the program byte for byte whatever the user's login shell (sh, bash, zsh, tcsh, fish...).
"""

from __future__ import annotations

import getpass
import logging
import os
import socket
import stat
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import paramiko

from fxkit.errors import AuthenticationFailed, ConnectionFailed, HostKeyRejected, NotReplayable
from fxkit.host import Exec, Host
from fxkit.privilege import read_as_root, write_as_root
from fxkit.result import Result
from fxkit.transports.argv import (
    batch_groups,
    batch_line,
    command_line,
    encode,
    split_batch,
)
from fxkit.transports.channel import MarkerClock, drain
from fxkit.transports.hostkeys import HostKeyCheck
from fxkit.transports.local import utf8_text
from fxkit.transports.proxycommand import ProxySocket

KEEPALIVE_SECONDS = 30
# Paramiko logs failed handshakes at ERROR; without a handler Python prints them to stderr
# next to the fxkit error that already says what happened. Applications may still log them.
logging.getLogger("paramiko").addHandler(logging.NullHandler())
GLOBAL_KNOWN_HOSTS = ("/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2")
T = TypeVar("T")
_NOT_RUN = "not run: a command before it in the same batch timed out\n"


class _Dropped(Exception):
    """The connection died; ``sent`` says whether the command may have started."""

    def __init__(self, sent: bool) -> None:
        self.sent = sent


@dataclass(eq=False)
class SSHHost(Host):
    """A host reached over SSH; see ``fxkit.connect`` for how targets are resolved.

    ``known_hosts`` is read and receives new keys; ``also_known_hosts`` (more
    UserKnownHostsFile entries, GlobalKnownHostsFile) are only read.
    ``host_key_checking`` is ssh_config's StrictHostKeyChecking (``no`` is never
    followed). ``proxy_command`` is ssh_config's ProxyCommand, run with the user's shell.
    """

    hostname: str = ""
    port: int = 22
    user: str | None = None
    key_filenames: list[str] = field(default_factory=list)
    known_hosts: str = field(default_factory=lambda: str(Path.home() / ".ssh" / "known_hosts"))
    also_known_hosts: tuple[str, ...] = GLOBAL_KNOWN_HOSTS
    accept_new_host_key: bool = False
    host_key_checking: str = "yes"
    hash_known_hosts: bool = False
    host_key_alias: str | None = None
    identities_only: bool = False
    look_for_keys: bool = True
    jump: SSHHost | None = None
    proxy_command: str | None = None
    destination: str = ""        # the host as ssh_config was asked about (ProxyCommand's %n)
    connect_timeout: float = 10.0
    keepalive_seconds: int = KEEPALIVE_SECONDS
    reconnect_seconds: float = 10.0
    config_source: str = ""      # "ssh -G" or "paramiko" when built from ssh_config
    sends_batches: ClassVar[bool] = True   # run_reads: one channel for all (_exec_reads)
    _client: paramiko.SSHClient | None = field(default=None, init=False, repr=False)
    _sftp_client: paramiko.SFTPClient | None = field(default=None, init=False, repr=False)
    _proxy: ProxySocket | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    # -- connection -------------------------------------------------------------

    @property
    def connected(self) -> bool:
        t = self._client.get_transport() if self._client else None
        return bool(t and t.is_active())

    def login(self) -> str | None:
        try:
            return self.user or getpass.getuser()
        except Exception:  # noqa: BLE001 - no passwd entry (containers)
            return self.user

    def host_key_check(self) -> HostKeyCheck:
        """What this host's server key is checked against (known_hosts files, policy)."""
        return HostKeyCheck(self.name, self.hostname, self.port,
                            [self.known_hosts] if self.known_hosts else [],
                            list(self.also_known_hosts), self.host_key_checking,
                            self.accept_new_host_key, self.hash_known_hosts, self.host_key_alias)

    def connection(self) -> paramiko.SSHClient:
        """The live client, connecting on first use (thread-safe)."""
        with self._lock:
            if not self.connected:
                self._close_proxy()
                self._client = self._connect()
            assert self._client is not None
            return self._client

    def _connect(self) -> paramiko.SSHClient:
        check = self.host_key_check()
        client = paramiko.SSHClient()
        client.set_missing_host_key_policy(_Verify(check))   # no keys loaded: it sees each
        sock = self._socket()

        def transport(sock: Any, disabled_algorithms: Any = None) -> paramiko.Transport:
            t = paramiko.Transport(sock, disabled_algorithms=disabled_algorithms)
            options = t.get_security_options()
            options.key_types = check.preferred_types(tuple(options.key_types))
            options.ciphers = aead_first(tuple(options.ciphers))
            return t

        try:
            client.connect(self.hostname, port=self.port, username=self.login(),
                           key_filename=[k for k in self.key_filenames if os.path.exists(k)]
                           or None, sock=sock, timeout=self.connect_timeout,
                           auth_timeout=self.connect_timeout,
                           banner_timeout=self.connect_timeout,
                           allow_agent=not self.identities_only,
                           look_for_keys=self.look_for_keys and not self.identities_only,
                           transport_factory=transport)
        except paramiko.AuthenticationException as e:
            client.close()
            raise AuthenticationFailed(
                f"{self.name}: {self._where()} refused our keys for user "
                f"{self.login() or '(default)'} ({e}). Load a key into ssh-agent, or set "
                "IdentityFile for this host in ~/.ssh/config") from None
        except HostKeyRejected:
            client.close()
            raise
        except (paramiko.SSHException, EOFError, OSError) as e:
            # EOFError: the server closed the connection during the handshake (a restarting
            # or overloaded sshd); Paramiko raises it bare.
            client.close()
            why = str(e) or "the server closed the connection during the SSH handshake"
            if self._proxy is not None:
                why = f"{why}; {self._proxy.why()}"
            raise ConnectionFailed(f"{self.name}: cannot connect to {self._where()}: {why}") \
                from None
        transport_ = client.get_transport()
        assert transport_ is not None
        transport_.set_keepalive(self.keepalive_seconds)
        return client

    def _socket(self) -> Any:
        if self.jump is not None:
            try:
                transport = self.jump.connection().get_transport()
            except ConnectionFailed as e:
                raise type(e)(f"{self.name}: through jump host {self.jump.name}: {e}") \
                    from None
            assert transport is not None
            try:
                return transport.open_channel("direct-tcpip", (self.hostname, self.port),
                                              ("127.0.0.1", 0), timeout=self.connect_timeout)
            except (paramiko.SSHException, EOFError, OSError) as e:
                raise ConnectionFailed(f"{self.name}: jump host {self.jump.name} cannot reach "
                                       f"{self._where()}: {e or 'channel refused'}") from None
        if self.proxy_command is not None:
            self._proxy = ProxySocket.start(self.proxy_command, {
                "h": self.hostname, "p": str(self.port), "r": self.login() or "",
                "n": self.destination or self.hostname})
            return self._proxy.sock
        try:
            sock = socket.create_connection((self.hostname, self.port), self.connect_timeout)
        except OSError as e:
            raise ConnectionFailed(f"{self.name}: cannot connect to {self._where()}: {e}. "
                                   "Is sshd running there, and is the port right?") from None
        # Paramiko leaves Nagle on: ~44 ms per command on a reused connection without this.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    def _where(self) -> str:
        return f"{self.hostname}:{self.port}"

    def _close_proxy(self) -> None:
        if self._proxy is not None:
            self._proxy.close()
            self._proxy = None

    def close(self) -> None:
        with self._lock:
            self._sftp_client = None  # its channel dies with the connection
            if self._client is not None:
                self._client.close()
                self._client = None
            self._close_proxy()
        if self.jump is not None:   # the hops exist for this host only
            self.jump.close()

    # -- commands -----------------------------------------------------------------

    def _exec(self, argv: tuple[str, ...], *, timeout: float | None, input: str | None,
              read_only: bool) -> Exec:
        return self._retrying(lambda: self._exec_once(argv, timeout, input), argv, read_only)

    def _exec_reads(self, cmds: list[tuple[str, ...]], *,
                    timeout: float | None) -> list[tuple[Exec, float]]:
        """The reads in one channel (or a few, for lines too long for one): ``/bin/sh``
        runs them in turn, a marker line after each (``fxkit.transports.argv.batch_line``).
        Should a batch come back short without a timeout (a login shell that runs
        nothing, say), its rest run one by one."""
        marker = f"fxkit-{uuid.uuid4().hex}"
        deadline = None if timeout is None else time.monotonic() + timeout
        done: list[tuple[Exec, float]] = []
        for count in batch_groups(cmds, marker):
            group = cmds[len(done):len(done) + count]
            if deadline is not None and time.monotonic() >= deadline:
                done += [(Exec(-9, "", _NOT_RUN, timed_out=True), 0.0)] * count
                continue
            done += self._one_batch(group, marker, deadline)
        return done

    def _one_batch(self, cmds: list[tuple[str, ...]], marker: str,
                   deadline: float | None) -> list[tuple[Exec, float]]:
        def left() -> float | None:
            return None if deadline is None else max(deadline - time.monotonic(), 0.0)
        line = batch_line(cmds, marker)         # refused here, before anything is sent
        timeout = left()
        start = time.perf_counter()
        out, times = self._retrying(lambda: self._batch_once(line, marker, timeout),
                                    cmds[0], True)
        done: list[tuple[Exec, float]] = []
        for (status, stdout, stderr), at in zip(split_batch(out.stdout, out.stderr, marker),
                                                times, strict=False):
            done.append((Exec(status, stdout, stderr), at - start))
            start = at
        if out.timed_out and len(done) < len(cmds):   # one was killed, the rest never ran
            done.append((Exec(-9, "", "", timed_out=True), time.perf_counter() - start))
            done += [(Exec(-9, "", _NOT_RUN, timed_out=True), 0.0)] * (len(cmds) - len(done))
        for cmd in cmds[len(done):]:
            begin = time.perf_counter()
            done.append((self._exec(cmd, timeout=left(), input=None, read_only=True),
                         time.perf_counter() - begin))
        return done

    def _retrying(self, once: Callable[[], T], argv: tuple[str, ...], read_only: bool) -> T:
        """``once()``; after a dropped connection, reconnect and retry it once if it is a
        read (or was never sent)."""
        try:
            return once()
        except _Dropped as dropped:
            self.close()
            if dropped.sent and not read_only:
                raise NotReplayable(Result(argv, -1, "", "", 0.0, self.name)) from None
            self._reconnect()
            try:
                return once()
            except _Dropped:
                self.close()
                raise ConnectionFailed(f"{self.name}: the connection to {self._where()} "
                                       "dropped twice in a row; check the host") from None

    def _reconnect(self) -> None:
        """Reconnect after a drop, waiting out a short outage (an sshd restart)."""
        deadline = time.monotonic() + self.reconnect_seconds
        wait = 0.05
        while True:
            try:
                self.connection()
                return
            except (HostKeyRejected, AuthenticationFailed):
                raise
            except ConnectionFailed:
                if time.monotonic() + wait > deadline:
                    raise
                time.sleep(wait)
                wait = min(wait * 2, 1.0)

    def _exec_once(self, argv: tuple[str, ...], timeout: float | None,
                   input: str | None) -> Exec:
        line = command_line(argv)     # refused here, before anything is sent
        data = encode(input, "stdin") if input is not None else None
        return self._send(line, data, timeout)

    def _batch_once(self, line: str, marker: str,
                    timeout: float | None) -> tuple[Exec, list[float]]:
        clock = MarkerClock(marker)
        return self._send(line, None, timeout, clock.watch), clock.times

    def _send(self, line: str, data: bytes | None, timeout: float | None,
              watch: Callable[[bytes], None] | None = None) -> Exec:
        """One command line on a channel of its own: its output, status, or _Dropped."""
        try:
            transport = self.connection().get_transport()
            assert transport is not None
            chan = transport.open_session()
        except (paramiko.SSHException, EOFError, OSError):
            raise _Dropped(sent=False) from None
        try:
            chan.exec_command(line)
            if data is not None:
                chan.sendall(data)
            chan.shutdown_write()
            return drain(chan, timeout, watch)
        except (paramiko.SSHException, EOFError, OSError):
            raise _Dropped(sent=True) from None
        finally:
            chan.close()

    # -- files --------------------------------------------------------------------

    def read_file(self, path: str) -> str:
        try:
            with self._sftp().open(path, "r") as fh:
                return utf8_text(fh.read(), path)
        except PermissionError:
            if not self.sudo:
                raise
            return read_as_root(self, path)

    def write_file(self, path: str, content: str, mode: int | None = None) -> None:
        if self.sudo:   # SFTP writes as the login user: root's files need sudo
            write_as_root(self, path, content, mode)
            return
        tmp = f"{os.path.dirname(path) or '.'}/.fxkit-{uuid.uuid4().hex[:12]}"
        sftp = self._sftp()  # one SFTP session per connection, reused
        if mode is None:
            try:
                mode = stat.S_IMODE(sftp.stat(path).st_mode or 0o644)
            except FileNotFoundError:
                mode = 0o644
        try:
            with sftp.open(tmp, "w") as fh:
                fh.write(content.encode("utf-8"))
            sftp.chmod(tmp, mode)
            sftp.posix_rename(tmp, path)
        except BaseException:
            try:
                sftp.remove(tmp)
            except OSError:
                pass
            raise

    def _sftp(self) -> paramiko.SFTPClient:
        """The connection's SFTP session, opened once (each open costs several round trips)."""
        client = self.connection()
        sftp = self._sftp_client
        if sftp is not None and not sftp.get_channel().closed:
            return sftp
        try:
            self._sftp_client = client.open_sftp()
            return self._sftp_client
        except (paramiko.SSHException, EOFError, OSError) as e:
            raise ConnectionFailed(f"{self.name}: cannot open SFTP on {self._where()}: {e}") \
                from None


class _Verify(paramiko.MissingHostKeyPolicy):
    """Every server key goes through ``HostKeyCheck.verify`` (the client loads no keys)."""

    def __init__(self, check: HostKeyCheck) -> None:
        self.check = check

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str,
                         key: paramiko.PKey) -> None:
        self.check.verify(key)


def aead_first(ciphers: tuple[str, ...]) -> tuple[str, ...]:
    """Paramiko's ciphers with AES-GCM first (then its own order). Both kinds are sound;
    with GCM each packet's integrity is checked by one call into the cryptography library,
    where a CTR cipher has Paramiko compare each packet's MAC in a pure-Python byte loop:
    the largest CPU cost of reading fifty hosts at once (bench/fleet.py). A server without
    GCM (OpenSSH before 6.2) still gets the next cipher both sides know."""
    return tuple(sorted(ciphers, key=lambda name: not name.endswith("-gcm@openssh.com")))
