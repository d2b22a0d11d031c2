"""A run seen from outside while it executes: live events for a display, and stopping it.

``run_runbook(..., observer=fn, control=RunControl())``: a watcher thread calls ``fn``
with each event as it happens (the kernel's plan and step events, every command from
the audit log, each cell as it starts), and ``control.stop()`` stops the run cleanly::

    >>> control = RunControl()
    >>> control.stop()      # first call: let the step in progress finish, then stop
    'stop-before-next-step'
"""

from __future__ import annotations

import json
import os
import queue
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fxkit.runbook.events import Channel

Observer = Callable[[dict[str, Any]], None]
TICK = 0.2  # seconds between two looks at the event and audit files


class RunControl:
    """Stops a run, each call firmer than the one before.

    1. inside an apply: the step in progress finishes, nothing after it starts; outside
       an apply (reading facts, planning): the kernel is interrupted at once;
    2. the kernel is interrupted (the step in progress is stopped, the lock released);
    3. the kernel is killed (the host lock may stay: ``fxkit runs unlock HOST``).
    """

    def __init__(self) -> None:
        self.channel: Channel | None = None
        self.kernel_pid: int | None = None
        self.requests = 0

    @property
    def stopping(self) -> bool:
        return self.requests > 0

    def stop(self) -> str:
        """Ask the run to stop; returns what was done (for the operator's message)."""
        self.requests += 1
        if self.channel is not None:
            self.channel.request_stop()   # also makes the check cell stop before any command
        applying = self.channel is not None and self.channel.applying()
        if self.requests == 1 and (applying or self.kernel_pid is None):
            return "stop-before-next-step"
        if self.requests <= 2 and self._signal(signal.SIGINT):
            return "interrupt-kernel"
        if self._signal(signal.SIGKILL):
            return "kill-kernel"
        return "stop-before-next-step"

    def _signal(self, signum: int) -> bool:
        if self.kernel_pid is None:
            return False
        try:
            os.kill(self.kernel_pid, signum)
        except OSError:
            return False
        return True


class Watcher:
    """A thread that turns the run's files into events for ``observer``, in order."""

    def __init__(self, channel: Channel, observer: Observer, *, audit_path: Path,
                 hosts: set[str]) -> None:
        self.channel = channel
        self.observer = observer
        self.audit_path = audit_path
        self.hosts = hosts
        self.inbox: queue.Queue[dict[str, Any]] = queue.Queue()
        self._audit_offset = audit_path.stat().st_size if audit_path.exists() else 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="fxkit-run-watcher",
                                        daemon=True)

    def __enter__(self) -> Watcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join(timeout=5)
        self._drain()  # whatever arrived after the last tick

    def cell_started(self, cell: Any = None, cell_index: int = 0, **_: Any) -> None:
        """nbclient's ``on_cell_start`` hook (called in papermill's thread)."""
        source = str(getattr(cell, "source", "") or "")
        first = next((ln for ln in source.splitlines() if ln.strip()), "")
        self.inbox.put({"event": "cell", "time": time.time(), "index": cell_index,
                        "source": first})

    def _loop(self) -> None:
        while not self._done.wait(TICK):
            self._drain()
            self._deliver({"event": "tick", "time": time.time()})

    def _drain(self) -> None:
        found: list[dict[str, Any]] = []
        while not self.inbox.empty():
            found.append(self.inbox.get_nowait())
        found += self.channel.read_new() + self._new_commands()
        for event in sorted(found, key=lambda e: e.get("time", 0)):
            self._deliver(event)

    def _deliver(self, event: dict[str, Any]) -> None:
        try:
            self.observer(event)
        except Exception:  # a display error must never stop or fail the run
            pass

    def _new_commands(self) -> list[dict[str, Any]]:
        if not self.audit_path.exists():
            return []
        with open(self.audit_path, "rb") as fh:
            fh.seek(self._audit_offset)
            data = fh.read()
        end = data.rfind(b"\n") + 1
        self._audit_offset += end
        out = []
        for raw in data[:end].splitlines():
            try:
                entry = json.loads(raw)
            except ValueError:
                continue
            if not isinstance(entry, dict) or entry.get("phase") == "started":
                continue   # a command is shown once it has returned (its "ended" line)
            if entry.get("host") in self.hosts and "run_id" not in entry:
                out.append({**entry, "event": "command", "logged": entry.get("time"),
                            "time": time.time()})
        return out
