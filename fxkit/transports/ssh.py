"""A host over SSH (Paramiko): one connection reused for every command.

Host keys are always verified against known_hosts; an unknown key is only
recorded with ``accept_new_host_key=True`` (like OpenSSH's ``accept-new``) and a
changed key is always refused. Paramiko and socket errors become fxkit errors
here and nowhere else.
"""

from __future__ import annotations

import os
import shlex
import socket
import stat
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paramiko

from fxkit.errors import AuthenticationFailed, ConnectionFailed, HostKeyRejected, NotReplayable
from fxkit.host import Exec, Host
from fxkit.result import Result

KEEPALIVE_SECONDS = 30


class _Dropped(Exception):
    """The connection died; ``sent`` says whether the command may have started."""

    def __init__(self, sent: bool) -> None:
        self.sent = sent


@dataclass(eq=False)
class SSHHost(Host):
    """A host reached over SSH; see ``fxkit.connect`` for how targets are resolved."""

    hostname: str = ""
    port: int = 22
    user: str | None = None
    key_filenames: list[str] = field(default_factory=list)
    known_hosts: str = field(default_factory=lambda: str(Path.home() / ".ssh" / "known_hosts"))
    accept_new_host_key: bool = False
    jump: SSHHost | None = None
    connect_timeout: float = 10.0
    reconnect_seconds: float = 10.0
    _client: paramiko.SSHClient | None = field(default=None, init=False, repr=False)
    _sftp_client: paramiko.SFTPClient | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    # -- connection -------------------------------------------------------------

    @property
    def connected(self) -> bool:
        t = self._client.get_transport() if self._client else None
        return bool(t and t.is_active())

    def connection(self) -> paramiko.SSHClient:
        """The live client, connecting on first use (thread-safe)."""
        with self._lock:
            if not self.connected:
                self._client = self._connect()
            assert self._client is not None
            return self._client

    def _connect(self) -> paramiko.SSHClient:
        client = paramiko.SSHClient()
        if os.path.exists(self.known_hosts):
            client.load_host_keys(self.known_hosts)
        client.set_missing_host_key_policy(_UnknownKeyPolicy(self))
        try:
            client.connect(self.hostname, port=self.port, username=self.user,
                           key_filename=self.key_filenames or None, sock=self._socket(),
                           timeout=self.connect_timeout, auth_timeout=self.connect_timeout,
                           banner_timeout=self.connect_timeout)
        except paramiko.BadHostKeyException as e:
            raise HostKeyRejected(
                f"{self.name}: the host key of {self._where()} has CHANGED "
                f"(now {e.key.get_name()} {_fingerprint(e.key)}, known_hosts has "
                f"{_fingerprint(e.expected_key)}). Someone may be intercepting the "
                f"connection, or the host was reinstalled. If you know why, remove the old "
                f"key with `ssh-keygen -R {self._known_name()} -f {self.known_hosts}`") from None
        except paramiko.AuthenticationException as e:
            raise AuthenticationFailed(
                f"{self.name}: {self._where()} refused our keys for user "
                f"{self.user or '(default)'} ({e}). Load a key into ssh-agent, or set "
                "IdentityFile for this host in ~/.ssh/config") from None
        except HostKeyRejected:
            raise
        except (paramiko.SSHException, EOFError, OSError) as e:
            # EOFError: the server closed the connection during the handshake (a restarting
            # or overloaded sshd); Paramiko raises it bare.
            why = str(e) or "the server closed the connection during the SSH handshake"
            raise ConnectionFailed(f"{self.name}: cannot connect to {self._where()}: {why}") \
                from None
        transport = client.get_transport()
        assert transport is not None
        transport.set_keepalive(KEEPALIVE_SECONDS)
        return client

    def _socket(self) -> Any:
        if self.jump is not None:
            transport = self.jump.connection().get_transport()
            assert transport is not None
            try:
                return transport.open_channel("direct-tcpip", (self.hostname, self.port),
                                              ("127.0.0.1", 0))
            except paramiko.SSHException as e:
                raise ConnectionFailed(f"{self.name}: jump host {self.jump.name} cannot reach "
                                       f"{self._where()}: {e}") from None
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

    def _known_name(self) -> str:
        return self.hostname if self.port == 22 else f"[{self.hostname}]:{self.port}"

    def close(self) -> None:
        with self._lock:
            self._sftp_client = None  # its channel dies with the connection
            if self._client is not None:
                self._client.close()
                self._client = None

    # -- commands -----------------------------------------------------------------

    def _exec(self, argv: tuple[str, ...], *, timeout: float | None, input: str | None,
              read_only: bool) -> Exec:
        try:
            return self._exec_once(argv, timeout, input)
        except _Dropped as dropped:
            self.close()
            if dropped.sent and not read_only:
                raise NotReplayable(Result(argv, -1, "", "", 0.0, self.name)) from None
            self._reconnect()
            try:
                return self._exec_once(argv, timeout, input)
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
        try:
            transport = self.connection().get_transport()
            assert transport is not None
            chan = transport.open_session()
        except (paramiko.SSHException, EOFError, OSError):
            raise _Dropped(sent=False) from None
        try:
            chan.exec_command(shlex.join(argv))
            if input is not None:
                chan.sendall(input.encode())
            chan.shutdown_write()
            return _drain(chan, timeout)
        except (paramiko.SSHException, EOFError, OSError):
            raise _Dropped(sent=True) from None
        finally:
            chan.close()

    # -- files --------------------------------------------------------------------

    def read_file(self, path: str) -> str:
        with self._sftp().open(path, "r") as fh:
            return fh.read().decode("utf-8")

    def write_file(self, path: str, content: str, mode: int | None = None) -> None:
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


def _drain(chan: paramiko.Channel, timeout: float | None) -> Exec:
    """Read stdout and stderr at once (stderr on a thread), honouring the timeout."""
    err_chunks: list[bytes] = []

    def read_stderr() -> None:
        while data := chan.recv_stderr(65536):
            err_chunks.append(data)

    reader = threading.Thread(target=read_stderr, daemon=True)
    reader.start()
    out_chunks: list[bytes] = []
    chan.settimeout(timeout)
    try:
        while data := chan.recv(65536):
            out_chunks.append(data)
        timed_out = not chan.status_event.wait(timeout)
    except TimeoutError:
        timed_out = True
    if timed_out:
        _kill(chan)
    reader.join(timeout=5)
    out, err = b"".join(out_chunks).decode(errors="replace"), \
        b"".join(err_chunks).decode(errors="replace")
    if timed_out:
        return Exec(-9, out, err, timed_out=True)
    status = chan.recv_exit_status()
    if status == -1:  # closed without an exit status: the connection died
        raise EOFError("channel closed without exit status")
    return Exec(status, out, err)


def _kill(chan: paramiko.Channel) -> None:
    """Ask sshd to SIGKILL the command (RFC 4254 6.9), then close the channel."""
    try:
        msg = paramiko.Message()
        msg.add_byte(paramiko.common.cMSG_CHANNEL_REQUEST)
        msg.add_int(chan.remote_chanid)
        msg.add_string("signal")
        msg.add_boolean(False)
        msg.add_string("KILL")
        chan.transport._send_user_message(msg)  # no public API for "signal"
    except Exception:
        pass
    chan.close()


def _fingerprint(key: paramiko.PKey) -> str:
    return key.fingerprint if hasattr(key, "fingerprint") else key.get_fingerprint().hex()


class _UnknownKeyPolicy(paramiko.MissingHostKeyPolicy):
    """Refuse unknown keys with the fingerprint and the fix; record them if opted in."""

    def __init__(self, host: SSHHost) -> None:
        self.host = host

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str,
                         key: paramiko.PKey) -> None:
        h = self.host
        if not h.accept_new_host_key:
            raise HostKeyRejected(
                f"{h.name}: {h._where()} offered an unknown host key {key.get_name()} "
                f"{_fingerprint(key)}; it is not in {h.known_hosts}. Check the fingerprint "
                "with the host's administrator, then connect once with "
                "accept_new_host_key=True (CLI: --accept-new-host-key) to record it")
        client.get_host_keys().add(hostname, key.get_name(), key)
        Path(h.known_hosts).parent.mkdir(parents=True, exist_ok=True)
        client.save_host_keys(h.known_hosts)
