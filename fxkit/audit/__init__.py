"""The audit log: JSON lines of every command run on any host, hash-chained and anchored.

Each line carries ``prev``, the SHA-256 of the line before it (``""`` for the first),
so removing, reordering or editing a line breaks the chain. The chain's head (line
count and last hash) is also kept outside the log: in the anchor file beside it
(``audit.jsonl.anchor``), in every run record, and, when ``FXKIT_AUDIT_SYSLOG`` is
set, each line goes to syslog too. ``verify`` checks the chain against all of them::

    >>> log = AuditLog("/tmp/audit.jsonl")          # doctest: +SKIP
    >>> log.record(result)                           # doctest: +SKIP
    >>> verify("/tmp/audit.jsonl")                   # doctest: +SKIP
    []

A command that changes a host is logged twice, "started" before it is sent and "ended"
after (its result, or "connection lost: outcome unknown"); ``AuditLog.lines()`` shows one
entry per command. ``log`` writes, ``chain`` reads and verifies, ``forward`` copies each
line to syslog.
"""

from fxkit.audit.chain import (
    Head,
    Problem,
    anchor_path,
    check_head,
    default_path,
    fold,
    line_hash,
    read_anchor,
    read_lines,
    verify,
)
from fxkit.audit.log import CONTEXT, LOST, TAIL_CHARS, AuditLog

__all__ = ["CONTEXT", "LOST", "TAIL_CHARS", "AuditLog", "Head", "Problem", "anchor_path",
           "check_head", "default_path", "fold", "line_hash", "read_anchor", "read_lines",
           "verify"]
