"""The audit log: one JSON line per command run on any host, hash-chained.

Each line carries ``prev``, the SHA-256 of the line before it (``""`` for the
first), so removing, reordering or editing a line breaks the chain and
``verify`` names the first bad line::

    >>> log = AuditLog("/tmp/audit.jsonl")          # doctest: +SKIP
    >>> log.record(result)                           # doctest: +SKIP
    >>> verify("/tmp/audit.jsonl")                   # doctest: +SKIP
    []
"""

from __future__ import annotations

import datetime as _dt
import fcntl
import getpass
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fxkit.secrets import mask, mask_argv

if TYPE_CHECKING:
    from fxkit.result import Result

TAIL_CHARS = 2000


def default_path() -> Path:
    """``$FXKIT_AUDIT_LOG``, else ``$XDG_STATE_HOME/fxkit/audit.jsonl``."""
    if env := os.environ.get("FXKIT_AUDIT_LOG"):
        return Path(env)
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "fxkit" / "audit.jsonl"


def line_hash(line: str) -> str:
    return hashlib.sha256(line.rstrip("\n").encode()).hexdigest()


def _operator() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry (containers)
        return str(os.getuid())


def _tail(text: str) -> str:
    return mask(text[-TAIL_CHARS:])


class AuditLog:
    """Append-only, hash-chained JSON-lines log shared by every Host of a process."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else default_path()
        self.operator = _operator()

    def record(self, result: Result, **extra: Any) -> dict[str, Any]:
        entry = {
            "time": _dt.datetime.now(_dt.UTC).isoformat(timespec="milliseconds"),
            "host": result.host,
            "user": self.operator,
            "argv": list(mask_argv(result.argv)),
            "exit_status": result.exit_status,
            "seconds": round(result.seconds, 4),
            "stdout_tail": _tail(result.stdout),
            "stderr_tail": _tail(result.stderr),
            **extra,
        }
        return self.append(entry)

    def append(self, entry: dict[str, Any]) -> dict[str, Any]:
        """Append one entry under an exclusive lock, chaining it to the last line."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a+", encoding="utf-8") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                entry = {**entry, "prev": _last_hash(fh)}
                fh.write(json.dumps(entry, sort_keys=True) + "\n")
                fh.flush()
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
        return entry

    def lines(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        return [json.loads(x) for x in self.path.read_text().splitlines() if x.strip()]


def _last_hash(fh: Any) -> str:
    fh.seek(0, os.SEEK_END)
    size = fh.tell()
    if size == 0:
        return ""
    chunk = 4096
    while True:
        start = max(0, size - chunk)
        fh.seek(start)
        data = fh.read()
        lines = data.rstrip("\n").split("\n")
        if len(lines) > 1 or start == 0:
            return line_hash(lines[-1])
        chunk *= 4


@dataclass(frozen=True)
class Problem:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


def verify(path: str | os.PathLike[str] | None = None) -> list[Problem]:
    """Check the whole chain; an empty list means the log is intact."""
    p = Path(path) if path is not None else default_path()
    problems: list[Problem] = []
    prev = ""
    for n, raw in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1):
        try:
            entry = json.loads(raw)
        except json.JSONDecodeError:
            problems.append(Problem(n, "not valid JSON (edited or truncated)"))
            prev = line_hash(raw)
            continue
        if entry.get("prev") != prev:
            problems.append(Problem(n, "does not follow the line before it "
                                       "(a line was removed, reordered or edited)"))
        prev = line_hash(raw)
    return problems
