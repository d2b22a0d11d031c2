"""One SSH channel's command: both streams drained at once, the timeout, the remote kill."""

from __future__ import annotations

import threading

import paramiko

from fxkit.host import Exec


def drain(chan: paramiko.Channel, timeout: float | None) -> Exec:
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
        kill(chan)
    reader.join(timeout=5)
    out, err = b"".join(out_chunks).decode(errors="replace"), \
        b"".join(err_chunks).decode(errors="replace")
    if timed_out:
        return Exec(-9, out, err, timed_out=True)
    status = chan.recv_exit_status()
    if status == -1:  # closed without an exit status: the connection died
        raise EOFError("channel closed without exit status")
    return Exec(status, out, err)


def kill(chan: paramiko.Channel) -> None:
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
