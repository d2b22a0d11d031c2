"""The per-host apply lock, held on the host itself so two writers never apply at once.

Taking it is one ``mkdir`` of ``/run/lock/fxkit.lock`` (atomic: exactly one
caller succeeds), then an ``owner`` file inside saying who, from where, since
when. Releasing removes the directory, only if the owner is still us.
``Plan.apply`` takes it, so every writer (CLI, runbooks, widgets, magics, Python)
does; holding it already (``with HostLock(host): plan.apply(host)``) is fine: a
thread holding the lock of a Host object takes it again for free::

    >>> with HostLock(host, runbook="lv-extend"):      # doctest: +SKIP
    ...     plan.apply(host)

A second writer waits up to ``wait`` seconds (default ``$FXKIT_LOCK_WAIT``, else 0),
then gets ``HostLocked`` (exit status 3) naming the holder. Stale locks: /run is a
tmpfs, so a reboot clears the lock. A lock whose holder ran on this machine is
checked: if that process is gone (its pid no longer runs, or runs another program
started later) the lock is stale, and the error says so; ``fxkit runs resume RUN``
takes it over (``take_over``), ``fxkit runs unlock HOST`` removes it.
"""

from __future__ import annotations

import datetime as _dt
import getpass
import json
import os
import socket
import threading
import time
import uuid
from dataclasses import asdict, dataclass
from typing import Any

from fxkit.errors import CommandFailed, FxkitError, HostLocked
from fxkit.host import Host
from fxkit.privilege import become

LOCK_DIR = "/run/lock/fxkit.lock"
OWNER = LOCK_DIR + "/owner"
WAIT_ENV = "FXKIT_LOCK_WAIT"
POLL = 0.5   # seconds between two tries while waiting for the lock


def lock_wait() -> float:
    """How long a writer waits for a held lock: ``$FXKIT_LOCK_WAIT`` seconds, else 0."""
    try:
        return max(0.0, float(os.environ.get(WAIT_ENV) or 0))
    except ValueError:
        return 0.0


@dataclass(frozen=True)
class LockOwner:
    """Who holds a host's lock (the owner file's JSON)."""

    operator: str
    machine: str
    pid: int
    since: str
    runbook: str = ""
    token: str = ""
    run_id: str = ""       # the run record of the holder, when a runbook holds it
    pid_start: int = 0     # the holder's process start time (clock ticks since boot)
    boot_id: str = ""      # the holder machine's boot id: a reboot ends every holder

    def describe(self) -> str:
        what = f", runbook {self.runbook}" if self.runbook else ""
        run = f", run {self.run_id}" if self.run_id else ""
        return f"{self.operator}@{self.machine} (pid {self.pid}{what}) since {self.since}{run}"

    def liveness(self) -> str:
        """"alive", "dead" (checked: this machine, the process is gone) or "unknown"."""
        if self.machine != socket.gethostname():
            return "unknown"
        return "alive" if process_alive(self.pid, self.pid_start, self.boot_id) else "dead"

    @classmethod
    def from_json(cls, text: str) -> LockOwner:
        data: dict[str, Any] = json.loads(text)
        return cls(str(data.get("operator", "?")), str(data.get("machine", "?")),
                   int(data.get("pid", 0)), str(data.get("since", "?")),
                   str(data.get("runbook", "")), str(data.get("token", "")),
                   str(data.get("run_id", "")), int(data.get("pid_start") or 0),
                   str(data.get("boot_id", "")))


# The locks this process holds, by (Host object, thread): taking one again is free.
_held: dict[tuple[int, int], HostLock] = {}
# Hosts with no machine behind them (fxkit.testing): their lock is kept in this process.
_in_process: dict[int, LockOwner] = {}
_registry = threading.Lock()


class HostLock:
    """Context manager holding ``host``'s apply lock; raises ``HostLocked`` naming the holder."""

    def __init__(self, host: Host, *, runbook: str = "", sudo: bool = False,
                 wait: float | None = None, run_id: str = "") -> None:
        self.host = host
        self.sudo = become(host, sudo) if on_host(host) else False  # owner file as root too
        self.wait = lock_wait() if wait is None else wait
        self.owner = LockOwner(
            operator=_operator(), machine=socket.gethostname(), pid=os.getpid(),
            since=_dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
            runbook=runbook, token=uuid.uuid4().hex,
            run_id=run_id or os.environ.get("FXKIT_RUN_ID", ""),
            pid_start=process_start(os.getpid()), boot_id=boot_id())
        self.held = False
        self.outer: HostLock | None = None   # the lock this thread already held, if any
        self._key = (0, 0)

    def acquire(self) -> LockOwner:
        self._key = (id(self.host), threading.get_ident())   # released by whichever thread
        with _registry:
            outer = _held.get(self._key)
        if outer is not None:
            self.outer, self.held = outer, True
            return outer.owner
        deadline = time.monotonic() + self.wait
        while True:
            holder = self._try()
            if holder is None:
                break
            if holder.liveness() == "dead" or time.monotonic() + POLL > deadline:
                raise HostLocked(locked_message(getattr(self.host, "name", "host"), holder))
            time.sleep(POLL)
        self.held = True
        with _registry:
            _held[self._key] = self
        return self.owner

    def _try(self) -> LockOwner | None:
        """Take the lock now; None if taken, else who holds it."""
        if not on_host(self.host):
            with _registry:
                holder = _in_process.setdefault(id(self.host), self.owner)
            return None if holder is self.owner else holder
        result = self._mkdir()
        if result.exit_status != 0 and "No such file or directory" in result.stderr:
            # A host without /run/lock (minimal containers): create the parent, try again.
            self.host.run(["mkdir", "-p", LOCK_DIR.rsplit("/", 1)[0]], sudo=self.sudo)
            result = self._mkdir()
        if result.exit_status == 0:
            self.host.write_file(OWNER, json.dumps(asdict(self.owner), sort_keys=True) + "\n")
            return None
        if "File exists" not in result.stderr:
            raise CommandFailed(result)
        return current_owner(self.host) or LockOwner(
            "?", "?", 0, "?", runbook="another run (its owner file is not written yet)")

    def release(self) -> None:
        """Give the lock back (a nested hold leaves that to the outermost one)."""
        if not self.held:
            return
        self.held = False
        if self.outer is not None:
            return
        with _registry:
            if _held.get(self._key) is self:
                del _held[self._key]
            if _in_process.get(id(self.host)) is self.owner:
                del _in_process[id(self.host)]
                return
        if not on_host(self.host):
            return
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


def locked_message(host: str, holder: LockOwner) -> str:
    """Why a writer cannot apply: who holds ``host``'s lock, whether that is stale, the fix."""
    state = holder.liveness()
    msg = f"{host}: another apply holds the host lock {LOCK_DIR}: {holder.describe()}."
    if state == "dead":
        how = (f"`fxkit runs resume {holder.run_id}` continues that run and takes the lock "
               "over, or " if holder.run_id else "")
        return (f"{msg} That process is gone (pid {holder.pid} no longer runs on this "
                f"machine): the lock is stale. {how}`fxkit runs unlock {host}` removes it")
    if state == "alive":
        wait = (f"Wait for it to finish and run again ({WAIT_ENV}=SECONDS makes a writer "
                "wait for the lock)")
    else:
        wait = (f"Wait for it to finish and run again; fxkit cannot tell from here whether "
                f"pid {holder.pid} on {holder.machine} still runs")
    return (f"{msg} {wait}; if that run is dead (stale lock), remove the lock with "
            f"`fxkit runs unlock {host}`")


def on_host(host: Host | None) -> bool:
    """Whether ``host``'s lock lives on the host; else (no machine behind it: the hosts of
    ``fxkit.testing``, a plan of fake steps applied to None) it is kept in this process."""
    return isinstance(host, Host) and getattr(host, "lock_on_host", True)


def current_owner(host: Host) -> LockOwner | None:
    """Who holds ``host``'s lock, or None if nobody (or the owner file is unreadable)."""
    if not on_host(host):
        return _in_process.get(id(host))
    try:
        return LockOwner.from_json(host.read_file(OWNER))
    except (OSError, ValueError, TypeError, FxkitError):
        return None


def is_locked(host: Host) -> bool:
    """Whether ``host``'s lock directory exists (with or without its owner file)."""
    if not on_host(host):
        return id(host) in _in_process
    return host.run(["test", "-d", LOCK_DIR], check=False, read_only=True).exit_status == 0


def break_lock(host: Host, *, sudo: bool = False, token: str | None = None) -> LockOwner | None:
    """Remove a stale lock; returns who held it. Only after checking that run is gone.

    ``token``: remove it only if it is still that holder's (re-read right before), so a
    lock someone took meanwhile is left alone (``HostLocked``).
    """
    become(host, sudo)
    holder = current_owner(host)
    if token is not None and (holder is None or holder.token != token):
        raise HostLocked(f"{host.name}: the lock changed hands while it was being taken "
                         f"over; now held by {holder.describe() if holder else 'nobody'}")
    if not on_host(host):
        _in_process.pop(id(host), None)
        return holder
    host.run(["rm", "-rf", LOCK_DIR])
    return holder


def take_over(host: Host, *, force: bool = False) -> LockOwner | None:
    """Remove ``host``'s lock if its holder is provably gone (``force``: the operator checked,
    for a holder on another machine); returns the holder removed, None if it was free.
    Raises ``HostLocked`` when the holder may still run."""
    holder = current_owner(host)
    if holder is None:
        return None
    state = holder.liveness()
    if state == "alive" or (state == "unknown" and not force):
        raise HostLocked(locked_message(host.name, holder))
    return break_lock(host, token=holder.token)


# -- whether a process still runs (this machine only) -------------------------------

def _stat(pid: int) -> list[str]:
    """The fields of /proc/PID/stat after the command name (state first), [] if none."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            return fh.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return []


def process_start(pid: int) -> int:
    """A process's start time in clock ticks since boot (Linux /proc), 0 if unknown."""
    fields = _stat(pid)
    try:
        return int(fields[19])
    except (ValueError, IndexError):
        return 0


def boot_id() -> str:
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as fh:
            return fh.read().strip()
    except OSError:
        return ""


def process_alive(pid: int, start: int = 0, boot: str = "") -> bool:
    """Whether ``pid`` runs here and is the process that started at ``start`` (when known)."""
    if pid <= 0 or (boot and boot_id() and boot != boot_id()):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's process: it exists
    fields = _stat(pid)
    if fields[:1] in (["Z"], ["X"]):
        return False   # killed, not yet reaped by its parent: gone all the same
    now = process_start(pid)
    return not (start and now and now != start)


def _operator() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry (containers)
        return str(os.getuid())
