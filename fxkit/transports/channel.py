"""One SSH channel's command: both streams drained at once, the timeout, the remote kill."""

from __future__ import annotations

import selectors
import time
from collections.abc import Callable

import paramiko

from fxkit.host import Exec


def drain(chan: paramiko.Channel, timeout: float | None,
          watch: Callable[[bytes], None] | None = None) -> Exec:
    """Read stdout and stderr as they come, honouring the timeout; ``watch`` sees each
    chunk of stdout as it arrives.

    Both streams are read in this thread: the channel's ``fileno`` is readable while either
    has data, and for good once the command's output has ended, so neither can fill the
    SSH window while the other is waited on (no reader thread per command).
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    out_chunks: list[bytes] = []
    err_chunks: list[bytes] = []
    open_streams = {chan.recv: out_chunks, chan.recv_stderr: err_chunks}
    chan.settimeout(0.0)             # recv raises TimeoutError when nothing is buffered yet
    timed_out = False
    with selectors.DefaultSelector() as ready:
        ready.register(chan.fileno(), selectors.EVENT_READ)
        while open_streams:
            left = None if deadline is None else deadline - time.monotonic()
            if (left is not None and left <= 0) or not ready.select(left):
                timed_out = True
                break
            for recv, chunks in list(open_streams.items()):
                try:
                    while data := recv(65536):
                        chunks.append(data)
                        if watch is not None and recv == chan.recv:
                            watch(data)
                    del open_streams[recv]     # b"": this stream has ended
                except TimeoutError:
                    pass                       # nothing more on it for now
        if not timed_out:
            left = None if deadline is None else max(deadline - time.monotonic(), 0.0)
            timed_out = not chan.status_event.wait(left)
    if timed_out:
        kill(chan)
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


class MarkerClock:
    """When each ``\\nMARKER `` of a batch's stdout arrived (``time.perf_counter``):
    ``watch`` for ``drain``, so each command of a batch gets its own duration."""

    def __init__(self, marker: str) -> None:
        self.needle = f"\n{marker} ".encode()
        self.times: list[float] = []
        self._tail = b""

    def watch(self, data: bytes) -> None:
        text = self._tail + data
        found = text.count(self.needle)
        now = time.perf_counter()
        self.times.extend([now] * found)
        cut = text.rfind(self.needle)
        rest = text[cut + len(self.needle):] if cut >= 0 else text
        self._tail = rest[-(len(self.needle) - 1):]
