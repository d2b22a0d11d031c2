"""Writing the audit log: one JSON line per command, chained, anchored, forwarded.

A command that changes a host is logged twice: ``phase: "started"`` before it is sent
and ``phase: "ended"`` after, with its result or ``outcome: "connection lost: outcome
unknown"``; a read, once. Each append runs under an exclusive lock: the line is chained
to the last one, the anchor file beside the log is rewritten to the new head, and the
line goes to syslog when asked (``forward``). The log and its anchor are 0600, the
directory fxkit makes for them 0700.
"""

from __future__ import annotations

import datetime as _dt
import fcntl
import getpass
import json
import os
import threading
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fxkit.audit.chain import (
    Head,
    anchor_path,
    default_path,
    fold,
    line_hash,
    read_anchor,
    read_lines,
)
from fxkit.audit.forward import forward
from fxkit.secrets import mask, mask_argv, secret_values

if TYPE_CHECKING:
    from fxkit.result import Result

TAIL_CHARS = 2000
LOST = "connection lost: outcome unknown"
# Added to every command line this process logs: ``{"run": RUN_ID}`` inside a runbook's
# kernel (``fxkit.runbook.check`` sets it), so a run's commands are found by its id.
CONTEXT: dict[str, str] = {}


def _operator() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry (containers)
        return str(os.getuid())


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="milliseconds")


def _tail(text: str, secrets: list[str]) -> str:
    return mask(text[-TAIL_CHARS:], secrets)


class AuditLog:
    """Append-only, hash-chained, anchored JSON-lines log shared by every Host of a process."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else default_path()
        self.operator = _operator()

    # -- writing -------------------------------------------------------------------

    def record(self, result: Result, **extra: Any) -> dict[str, Any]:
        """One line for a command that has returned (a read, or any command's result)."""
        secrets = secret_values()
        return self.append({**self._about(result.host, result.argv, secrets),
                            **_result(result, secrets), **extra})

    def record_all(self, results: Sequence[tuple[Result, dict[str, Any]]]
                   ) -> list[dict[str, Any]]:
        """``record`` for reads that returned together (``Host.run_reads``): their lines,
        in order, under one lock and one anchor update."""
        secrets = secret_values()     # once for the batch: every line masks the same
        return self.append_all([{**self._about(r.host, r.argv, secrets),
                                 **_result(r, secrets), **extra} for r, extra in results])

    def started(self, host: str, argv: Sequence[str], **extra: Any) -> str:
        """Log a command that changes ``host`` before it is sent; returns its id for ``ended``."""
        cmd = uuid.uuid4().hex[:16]
        self.append({**self._about(host, argv, secret_values()), "phase": "started",
                     "cmd": cmd, **extra})
        return cmd

    def ended(self, cmd: str | None, host: str, argv: Sequence[str],
              result: Result | None = None, *, error: str = "", seconds: float = 0.0,
              outcome: str = LOST, **extra: Any) -> dict[str, Any]:
        """Log how the command ``cmd`` (``started``'s id) ended: its result, or (``result=
        None``) that it never came back, ``outcome`` unknown, ``error`` saying why. A read
        (``cmd=None``, never logged as started) that never came back gets its one line."""
        secrets = secret_values()
        end = _result(result, secrets) if result is not None else {
            "exit_status": None, "seconds": round(seconds, 4), "stdout_tail": "",
            "stderr_tail": "", "outcome": outcome, "error": mask(error, secrets)[:TAIL_CHARS]}
        phase = {} if cmd is None else {"phase": "ended", "cmd": cmd}
        return self.append({**self._about(host, argv, secrets), **end, **phase, **extra})

    def _about(self, host: str, argv: Sequence[str], secrets: list[str]) -> dict[str, Any]:
        return {"time": _now(), "host": mask(host, secrets), "user": self.operator,
                "argv": list(mask_argv(tuple(argv), secrets)), **CONTEXT}

    def append(self, entry: dict[str, Any]) -> dict[str, Any]:
        """Append one entry under an exclusive lock, chained to the last line and anchored."""
        return self.append_all([entry])[0]

    def append_all(self, entries: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """Append entries in order, each chained to the one before it, and return them as
        written (with ``prev``). When this process's threads (a fleet) append to one log
        at once, whichever thread finds the log free writes every batch waiting then, in
        one go under one exclusive lock (``_Group``); each thread returns once its own
        lines are written, so a command is still logged before it is sent."""
        if not entries:
            return []
        return _Group.of(self.path).append(list(entries), self._write)

    def _write(self, batches: list[list[dict[str, Any]]]) -> list[list[dict[str, Any]]]:
        """Write ``batches`` in order under one exclusive lock, then move the anchor."""
        _private_dir(self.path.parent)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        done: list[list[dict[str, Any]]] = []
        lines: list[str] = []
        with os.fdopen(fd, "a+b") as fh:
            _private_file(fd)
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                count, last, note = _head_for_append(fh, self.path)
                for entries in batches:
                    done.append([])
                    for entry in entries:
                        entry = {**entry, "prev": last,
                                 **({"anchor_note": note} if note else {})}
                        line = json.dumps(entry, sort_keys=True)
                        done[-1].append(entry)
                        lines.append(line)
                        last, note = line_hash(line), ""
                fh.write("".join(f"{line}\n" for line in lines).encode())
                fh.flush()
                _write_anchor(self.path, Head(count + len(lines), last))
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
        for line in lines:
            forward(line)
        return done

    # -- reading -------------------------------------------------------------------

    def entries(self) -> list[dict[str, Any]]:
        """Every line that is a JSON object, in order (``verify`` reports the others)."""
        if not self.path.exists():
            return []
        return [e for _, e, _ in read_lines(self.path) if isinstance(e, dict)]

    def lines(self) -> list[dict[str, Any]]:
        """One entry per command (and per run seal): see the module docstring."""
        return fold(self.entries())

    def head(self) -> Head:
        """The log's head now: how many lines, and the hash of the last one."""
        raws = [raw for raw, _, _ in read_lines(self.path)] if self.path.exists() else []
        return Head(len(raws), line_hash(raws[-1]) if raws else "", str(self.path))


class _Group:
    """Group commit of one log's appends by this process's threads: a thread that finds
    nobody writing takes every batch waiting and writes them together; the others wait
    for it, and their lines are then in the log, in the order their batches came."""

    _groups: dict[str, _Group] = {}
    _lock = threading.Lock()

    def __init__(self) -> None:
        self.turn = threading.Condition()
        self.waiting: list[_Batch] = []
        self.writing = False

    @classmethod
    def of(cls, path: Path) -> _Group:
        with cls._lock:
            return cls._groups.setdefault(str(path), cls())

    def append(self, entries: list[dict[str, Any]], write: Any) -> list[dict[str, Any]]:
        mine = _Batch(entries)
        with self.turn:
            self.waiting.append(mine)
            while self.writing and not mine.done:
                self.turn.wait()
            if not mine.done:
                self.writing = True
                group, self.waiting = self.waiting, []
        if not mine.done:
            try:
                for batch, written in zip(group, write([b.entries for b in group]),
                                          strict=True):
                    batch.written = written
            except BaseException as e:
                for batch in group:
                    batch.error = e
            finally:
                with self.turn:
                    for batch in group:
                        batch.done = True
                    self.writing = False
                    self.turn.notify_all()
        if mine.error is not None:
            raise mine.error
        return mine.written


class _Batch:
    __slots__ = ("entries", "written", "error", "done")

    def __init__(self, entries: list[dict[str, Any]]) -> None:
        self.entries = entries
        self.written: list[dict[str, Any]] = []
        self.error: BaseException | None = None
        self.done = False


def _result(result: Result, secrets: list[str]) -> dict[str, Any]:
    return {"exit_status": result.exit_status, "seconds": round(result.seconds, 4),
            "stdout_tail": _tail(result.stdout, secrets),
            "stderr_tail": _tail(result.stderr, secrets)}


def _write_anchor(log: Path, head: Head) -> None:
    data = {**head.to_dict(), "time": _now()}
    target = anchor_path(log)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(data, sort_keys=True) + "\n")
    os.replace(tmp, target)


def _head_for_append(fh: Any, path: Path) -> tuple[int, str, str]:
    """(lines, last hash) of the open log, and a note when it does not end where the
    anchor says: fxkit still appends (a command is never lost), and says so in the line."""
    fh.seek(0, os.SEEK_END)
    size = fh.tell()
    last = line_hash(_last_line(fh, size)) if size else ""
    anchor = read_anchor(path)
    if anchor is not None and anchor["sha256"] == last and (size or not anchor["lines"]):
        return anchor["lines"], last, ""
    fh.seek(0)
    raws = fh.read().split(b"\n")
    if raws and raws[-1] == b"":
        raws.pop()
    if not raws and anchor is None:
        return 0, "", ""
    if anchor is None:
        return len(raws), last, (f"no anchor file beside the log when this line was appended "
                                 f"(deleted, or a log from before anchors): {len(raws)} "
                                 "line(s) before it were not anchored")
    n, want = anchor["lines"], anchor["sha256"]
    if 0 < n <= len(raws) and line_hash(raws[n - 1]) == want:
        return len(raws), last, (f"{len(raws) - n} line(s) after the anchored head (line {n})"
                                 " were appended without fxkit (or fxkit died between writing"
                                 " a line and anchoring it)")
    return len(raws), last, (f"the log did not end where its anchor said (line {n}, sha256 "
                             f"{want[:16]}...): it had {len(raws)} line(s); lines were removed "
                             "or rewritten")


def _last_line(fh: Any, size: int) -> bytes:
    chunk = 4096
    while True:
        start = max(0, size - chunk)
        fh.seek(start)
        lines = fh.read().rstrip(b"\n").split(b"\n")
        if len(lines) > 1 or start == 0:
            return bytes(lines[-1])
        chunk *= 4


def _private_dir(directory: Path) -> None:
    """Make the log's directory 0700 if fxkit creates it, or if it is fxkit's own."""
    if not directory.exists():
        directory.parent.mkdir(parents=True, exist_ok=True)
        directory.mkdir(mode=0o700, exist_ok=True)
    elif directory == default_path().parent and directory.name == "fxkit":
        st = directory.stat()
        if st.st_mode & 0o077 and st.st_uid == os.geteuid():
            os.chmod(directory, 0o700)


def _private_file(fd: int) -> None:
    st = os.fstat(fd)
    if st.st_mode & 0o077 and st.st_uid == os.geteuid():
        os.fchmod(fd, 0o600)


