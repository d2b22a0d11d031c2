"""The lab over real SSH: a Paramiko server on 127.0.0.1, one port per scenario.

Public-key authentication only (the lab's generated user key, see
``fxkit.lab.ssh.daemon``); ``exec`` requests run through the lab's shell against the
persisted state; ``sftp`` serves the lab's file tree. One thread per connection
and one per command, so many clients work at once::

    >>> server = LabServer({"fx": 0}, root=tmpdir)   # doctest: +SKIP
    >>> server.start(); server.ports                   # {'fx': 40123}
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from pathlib import Path

import paramiko

from fxkit.lab.shell.cmdline import argv_reads_stdin, reads_stdin
from fxkit.lab.ssh.daemon import LabKeys
from fxkit.lab.ssh.session import InteractiveSession
from fxkit.lab.ssh.sftp import LabSFTP, LabSFTPServer
from fxkit.lab.store import LabStore
from fxkit.lab.transport import run_batch, run_request
from fxkit.transports.argv import decode_batch_line, decode_command_line

log = logging.getLogger("fxkit.lab.ssh.server")
STDIN_GRACE = 0.25  # seconds to wait for stdin EOF from a client that keeps stdin open
HOLD_AT_MOST = 0.05  # seconds a batch's finished output may wait for the next command's


class BatchOutput:
    """A batch's output sent as sshd sends a shell's: sshd reads the shell's pipe when it
    is ready, so what several quick commands printed reaches the client in one packet, not
    one per command. Output is sent when a command ends ``HOLD_AT_MOST`` or more after the
    last send, before a command that waits (``flush``: an injected delay, so the client's
    timeout still names the command that was running) and at the batch's end."""

    def __init__(self, channel: paramiko.Channel) -> None:
        self.channel = channel
        self.out: list[str] = []
        self.err: list[str] = []
        self.sent = time.monotonic()

    def emit(self, stdout: str, stderr: str) -> None:
        self.out.append(stdout)
        self.err.append(stderr)
        if time.monotonic() - self.sent >= HOLD_AT_MOST:
            self.flush()

    def flush(self) -> None:
        if self.out:
            out, err = "".join(self.out), "".join(self.err)
            self.out.clear()
            self.err.clear()
            self.channel.sendall(out.encode())
            self.channel.sendall_stderr(err.encode())
        self.sent = time.monotonic()


class _Session(paramiko.ServerInterface):
    """Paramiko's per-connection callbacks."""

    def __init__(self, server: LabServer, store: LabStore, transport: paramiko.Transport):
        self.server, self.store, self.transport = server, store, transport
        self.ttys: set[int] = set()  # channel ids that asked for a pty

    def get_allowed_auths(self, username: str) -> str:
        return "publickey"

    def check_auth_publickey(self, username: str, key: paramiko.PKey) -> int:
        if self.server.keys.authorized(key):
            return paramiko.AUTH_SUCCESSFUL
        return paramiko.AUTH_FAILED

    def check_channel_request(self, kind: str, chanid: int) -> int:
        if kind == "session":
            return paramiko.OPEN_SUCCEEDED
        return paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def check_channel_env_request(self, channel: paramiko.Channel, name: bytes,
                                  value: bytes) -> bool:
        return True  # accepted and ignored (OpenSSH sends LANG/LC_*)

    def check_channel_pty_request(self, channel: paramiko.Channel, *args: object) -> bool:
        self.ttys.add(channel.get_id())
        return True

    def check_channel_window_change_request(self, *args: object) -> bool:
        return True

    def check_channel_shell_request(self, channel: paramiko.Channel) -> bool:
        self.server.hold(channel)
        session = InteractiveSession(channel, self.store, self.transport,
                                     tty=channel.get_id() in self.ttys)

        def run() -> None:
            try:
                session.run()
            finally:
                self.server.release(channel)

        threading.Thread(target=run, daemon=True, name="lab-shell").start()
        return True

    def check_channel_exec_request(self, channel: paramiko.Channel, command: bytes) -> bool:
        # Paramiko answers the request after we return, on its own thread: the
        # command runs on a thread of its own that first waits for stdin's EOF, which
        # the transport handles only after it has sent that answer.
        line = command.decode("utf-8", errors="replace")
        self.server.hold(channel)
        threading.Thread(target=self._exec, args=(channel, line), daemon=True,
                         name=f"lab-exec-{channel.get_id()}").start()
        return True

    def _exec(self, channel: paramiko.Channel, line: str) -> None:
        try:
            # fxkit's own transport sends an argv encoded for any shell: decoded once here,
            # it runs as that argv; any other line through the lab's shell
            # (or a batch of them: fxkit.transports.argv.batch_line)
            def cancelled() -> bool:
                return channel.closed or not self.transport.is_active()
            if (batch := decode_batch_line(line)) is not None:
                _read_stdin(channel, wait=False)
                held = BatchOutput(channel)
                reply = run_batch(self.store, *batch, emit=held.emit, cancelled=cancelled,
                                  waiting=held.flush)
                if not reply.timed_out:      # timed out: the client has closed the channel
                    held.flush()
            else:
                argv = decode_command_line(line)
                wait = reads_stdin(line) if argv is None else argv_reads_stdin(argv)
                stdin = _read_stdin(channel, wait=wait)
                reply = run_request(self.store, argv=argv, line=line if argv is None else None,
                                    stdin=stdin, cancelled=cancelled)
            if reply.timed_out:
                return  # the client killed it (closed the channel) during an injected delay
            if reply.drop:
                log.info("fault: dropping the connection at %r", line)
                self.transport.close()
                return
            if reply.stdout:
                channel.sendall(reply.stdout.encode())
            if reply.stderr:
                channel.sendall_stderr(reply.stderr.encode())
            channel.send_exit_status(reply.status)
        except Exception:  # a lab bug must not kill the server; the client sees 255
            log.exception("command %r failed inside the lab", line)
            try:
                channel.sendall_stderr(b"fxkit lab: internal error, see the lab's server.log\n")
                channel.send_exit_status(255)
            except Exception:
                pass
        finally:
            try:
                channel.shutdown_write()
                channel.close()
            except Exception:
                pass
            self.server.release(channel)


def _read_stdin(channel: paramiko.Channel, wait: bool) -> str:
    """What the client sends until EOF. A command that reads stdin waits for it, like a
    real one; others give up after STDIN_GRACE (a client on a tty never sends EOF)."""
    chunks: list[bytes] = []
    channel.settimeout(None if wait else STDIN_GRACE)
    try:
        while data := channel.recv(65536):
            chunks.append(data)
    except TimeoutError:
        pass
    channel.settimeout(None)
    return b"".join(chunks).decode("utf-8", errors="replace")


class LabServer:
    """Serve scenarios ``{name: port}`` (port 0 = any free port) on 127.0.0.1."""

    def __init__(self, ports: dict[str, int], root: str | Path | None = None,
                 address: str = "127.0.0.1") -> None:
        from fxkit.lab.fleet import FleetStore, is_fleet_host
        self.stores: dict[str, LabStore] = {
            name: FleetStore(name, root) if is_fleet_host(name) else LabStore(name, root)
            for name in ports}
        self.root = next(iter(self.stores.values())).root
        self.requested = dict(ports)
        self.address = address
        self.keys = LabKeys(self.root)
        self.ports: dict[str, int] = {}
        self._sockets: list[socket.socket] = []
        self._channels: set[paramiko.Channel] = set()
        self._transports: set[paramiko.Transport] = set()
        self._lock = threading.Lock()
        self._stopping = threading.Event()

    def start(self) -> dict[str, int]:
        """Bind every port and start accepting; returns {scenario: port}."""
        self.keys.ensure()
        for name in self.requested:     # made before any connection thread asks for them
            self.keys.host_key_for(name)
        for name, port in self.requested.items():
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((self.address, port))
            except OSError:
                sock.close()
                self.stop()
                raise
            sock.listen(64)
            self._sockets.append(sock)
            self.ports[name] = sock.getsockname()[1]
            threading.Thread(target=self._accept, args=(sock, self.stores[name], name),
                             daemon=True, name=f"lab-accept-{name}").start()
        return dict(self.ports)

    def hold(self, channel: paramiko.Channel) -> None:
        with self._lock:
            self._channels = {c for c in self._channels if not c.closed}
            self._channels.add(channel)

    def release(self, channel: paramiko.Channel) -> None:
        with self._lock:
            self._channels.discard(channel)

    def _accept(self, sock: socket.socket, store: LabStore, name: str) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            if getattr(store, "down", False):   # a lab fleet host made unreachable
                conn.close()
                continue
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=self._serve, args=(conn, store, name), daemon=True).start()

    def _serve(self, conn: socket.socket, store: LabStore, name: str) -> None:
        transport = paramiko.Transport(conn)
        transport.add_server_key(self.keys.host_key_for(name))
        transport.set_subsystem_handler("sftp", LabSFTPServer, LabSFTP)
        session = _Session(self, store, transport)
        with self._lock:
            self._transports.add(transport)
        try:
            transport.start_server(server=session)
            while transport.is_active() and not self._stopping.is_set():
                channel = transport.accept(timeout=1.0)
                if channel is not None:
                    self.hold(channel)  # a dropped reference means "Unable to open channel"
        except (paramiko.SSHException, EOFError, OSError) as e:
            log.info("connection ended: %s", e)
        finally:
            with self._lock:
                self._transports.discard(transport)
                self._channels = {c for c in self._channels if c.transport is not transport}
            transport.close()

    def stop(self) -> None:
        self._stopping.set()
        for sock in self._sockets:
            try:
                sock.close()
            except OSError:
                pass
        with self._lock:
            transports = list(self._transports)
        for t in transports:
            t.close()

    def wait(self) -> None:
        self._stopping.wait()
