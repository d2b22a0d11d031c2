"""The audit log's hash chain: reading its lines, its anchors, and verifying them.

A line's hash is the SHA-256 of its bytes (without the newline); each line's ``prev`` is
the hash of the line before it. The head (line count, last hash) is anchored outside
the log: the anchor file beside it, and every run record (``Head``). ``verify`` checks
the chain and the head against all of them; a malformed line is a finding, never a crash.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def default_path() -> Path:
    """``$FXKIT_AUDIT_LOG``, else ``$XDG_STATE_HOME/fxkit/audit.jsonl``."""
    if env := os.environ.get("FXKIT_AUDIT_LOG"):
        return Path(env)
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "fxkit" / "audit.jsonl"


def anchor_path(log: str | os.PathLike[str]) -> Path:
    """The anchor file beside a log: its head (lines, last hash) as fxkit last wrote it."""
    p = Path(log)
    return p.with_name(p.name + ".anchor")


def line_hash(line: str | bytes) -> str:
    raw = line.encode() if isinstance(line, str) else line
    return hashlib.sha256(raw.rstrip(b"\n")).hexdigest()


@dataclass(frozen=True)
class Head:
    """Where a log ended when someone looked: its line count and its last line's hash."""

    lines: int
    sha256: str
    source: str = "anchor file"

    def to_dict(self) -> dict[str, Any]:
        return {"lines": self.lines, "sha256": self.sha256}

    @classmethod
    def of(cls, data: Any, source: str) -> Head | None:
        """The head a record keeps (``to_dict``'s form), or None if it keeps none."""
        if not isinstance(data, dict) or not isinstance(data.get("lines"), int) or \
                not isinstance(data.get("sha256"), str):
            return None
        return cls(data["lines"], data["sha256"], source)


def fold(entries: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Entries with each "ended" line put in place of its "started" line."""
    out: list[dict[str, Any]] = []
    pending: dict[str, int] = {}
    for e in entries:
        phase, cmd = e.get("phase"), str(e.get("cmd", ""))
        if phase == "started":
            pending[cmd] = len(out)
            out.append(e)
        elif phase == "ended" and cmd in pending:
            out[pending.pop(cmd)] = e
        else:
            out.append(e)
    return out


def read_lines(path: str | os.PathLike[str]) -> list[tuple[bytes, Any, str]]:
    """Each line's bytes, its JSON value (None if unreadable) and what is wrong with it."""
    data = Path(path).read_bytes()
    raws = data.split(b"\n")
    if raws and raws[-1] == b"":
        raws.pop()
    out: list[tuple[bytes, Any, str]] = []
    for raw in raws:
        try:
            value = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError as e:
            out.append((raw, None, f"not UTF-8 text (byte {e.start})"))
            continue
        except ValueError:
            out.append((raw, None, "not valid JSON (edited or truncated)"))
            continue
        out.append((raw, value, "" if isinstance(value, dict) else
                    f"not a JSON object but {type(value).__name__} {raw[:40]!r}"))
    return out


# -- the anchor file ---------------------------------------------------------------------

def read_anchor(log: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The anchor file's content, or None if there is none (or it is not an anchor)."""
    try:
        data = json.loads(anchor_path(log).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("lines"), int) or \
            not isinstance(data.get("sha256"), str):
        return None
    return data


# -- verifying ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Problem:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


def verify(path: str | os.PathLike[str] | None = None,
           heads: Iterable[Head] = ()) -> list[Problem]:
    """Check the chain, the anchor file beside the log and ``heads`` (each run record's);
    an empty list means the log is intact. A malformed line is a problem, never a crash."""
    p = Path(path) if path is not None else default_path()
    lines = read_lines(p)
    problems: list[Problem] = []
    prev = ""
    for n, (raw, value, wrong) in enumerate(lines, start=1):
        if wrong:
            problems.append(Problem(n, wrong))
        elif value.get("prev") != prev:
            problems.append(Problem(n, "does not follow the line before it "
                                       "(a line was removed, reordered or edited)"))
        if isinstance(value, dict) and value.get("anchor_note"):
            problems.append(Problem(n, f"when fxkit appended this line, {value['anchor_note']}"))
        prev = line_hash(raw)
    anchor = read_anchor(p)
    if anchor is None:
        if lines:
            problems.append(Problem(0, f"no anchor file {anchor_path(p)}: the end of the log "
                                       "cannot be checked (deleted?)"))
    else:
        problems += check_head(lines, Head(anchor["lines"], anchor["sha256"]), exact=True)
    for head in heads:
        problems += check_head(lines, head)
    return sorted(problems, key=lambda x: x.line)


def check_head(lines: Sequence[tuple[bytes, Any, str]], head: Head, *,
               exact: bool = False) -> list[Problem]:
    """Whether the log still has ``head``'s line ``head.lines`` with the same hash (and,
    ``exact``: no line after it)."""
    n, total, who = head.lines, len(lines), head.source
    if n > total:
        return [Problem(total, f"the log has {total} line(s) but the {who} says {n}: "
                               f"the last {n - total} line(s) were removed (truncated)")]
    if n and line_hash(lines[n - 1][0]) != head.sha256:
        return [Problem(n, f"line {n} is not the line the {who} recorded (sha256 "
                           f"{head.sha256[:16]}...): the log was rewritten")]
    if exact and total > n:
        return [Problem(n + 1, f"{total - n} line(s) after the head the {who} recorded "
                               f"(line {n}): appended without fxkit")]
    return []
