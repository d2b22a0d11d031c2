"""The per-host apply lock, held on the host itself so two operators never apply at once.

Taking it is one ``mkdir`` of ``/run/lock/fxkit.lock`` (atomic: exactly one
caller succeeds), then an ``owner`` file inside saying who, from where, since
when. Releasing removes the directory, only if the owner is still us::

    >>> with HostLock(host, runbook="lv-extend"):      # doctest: +SKIP
    ...     plan.apply(host)

Stale locks: /run is a tmpfs, so a reboot clears the lock. A lock left by a
run that died (its machine and pid are in the error) is removed with
``fxkit runs unlock HOST`` or ``break_lock(host)``, after checking that run is gone.
"""

from __future__ import annotations

import datetime as _dt
import getpass
import json
import os
import socket
import uuid
from dataclasses import dataclass
from typing import Any

from fxkit.errors import CommandFailed, FxkitError, HostLocked
from fxkit.host import Host
from fxkit.privilege import become

LOCK_DIR = "/run/lock/fxkit.lock"
OWNER = LOCK_DIR + "/owner"


@dataclass(frozen=True)
class LockOwner:
    """Who holds a host's lock (the owner file's JSON)."""

    operator: str
    machine: str
    pid: int
    since: str
    runbook: str = ""
    token: str = ""

    def describe(self) -> str:
        what = f", runbook {self.runbook}" if self.runbook else ""
        return f"{self.operator}@{self.machine} (pid {self.pid}{what}) since {self.since}"

    @classmethod
    def from_json(cls, text: str) -> LockOwner:
        data: dict[str, Any] = json.loads(text)
        return cls(str(data.get("operator", "?")), str(data.get("machine", "?")),
                   int(data.get("pid", 0)), str(data.get("since", "?")),
                   str(data.get("runbook", "")), str(data.get("token", "")))


class HostLock:
    """Context manager holding ``host``'s apply lock; raises ``HostLocked`` naming the holder."""

    def __init__(self, host: Host, *, runbook: str = "", sudo: bool = False) -> None:
        self.host = host
        self.sudo = become(host, sudo)   # the owner file is written as root too
        self.owner = LockOwner(
            operator=_operator(), machine=socket.gethostname(), pid=os.getpid(),
            since=_dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
            runbook=runbook, token=uuid.uuid4().hex)
        self.held = False

    def acquire(self) -> LockOwner:
        result = self._mkdir()
        if result.exit_status != 0 and "No such file or directory" in result.stderr:
            # A host without /run/lock (minimal containers): create the parent, try again.
            self.host.run(["mkdir", "-p", LOCK_DIR.rsplit("/", 1)[0]], sudo=self.sudo)
            result = self._mkdir()
        if result.exit_status != 0:
            if "File exists" not in result.stderr:
                raise CommandFailed(result)
            holder = current_owner(self.host)
            who = holder.describe() if holder else "another run (its owner file is not written yet)"
            raise HostLocked(
                f"{self.host.name}: another apply holds the host lock {LOCK_DIR}: {who}. "
                f"Wait for it to finish and run again; if that run is dead (stale lock), "
                f"remove the lock with `fxkit runs unlock {self.host.name}`")
        self.held = True
        self.host.write_file(OWNER, json.dumps(self.owner.__dict__, sort_keys=True) + "\n")
        return self.owner

    def release(self) -> None:
        if not self.held:
            return
        self.held = False
        holder = current_owner(self.host)
        if holder is not None and holder.token != self.owner.token:
            return  # someone broke our lock and took it: theirs now, leave it
        self.host.run(["rm", "-rf", LOCK_DIR], sudo=self.sudo)

    def _mkdir(self) -> Any:
        return self.host.run(["mkdir", LOCK_DIR], check=False, sudo=self.sudo)

    def __enter__(self) -> LockOwner:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def current_owner(host: Host) -> LockOwner | None:
    """Who holds ``host``'s lock, or None if nobody (or the owner file is unreadable)."""
    try:
        return LockOwner.from_json(host.read_file(OWNER))
    except (OSError, ValueError, FxkitError):
        return None


def break_lock(host: Host, *, sudo: bool = False) -> LockOwner | None:
    """Remove a stale lock; returns who held it. Only after checking that run is gone."""
    become(host, sudo)
    holder = current_owner(host)
    host.run(["rm", "-rf", LOCK_DIR])
    return holder


def _operator() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry (containers)
        return str(os.getuid())
