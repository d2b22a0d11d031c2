"""known_hosts as OpenSSH reads and writes it: patterns, hashed names, markers, one line appended.

Read-only except ``append``, which adds one line at the end and changes no other byte
(OpenSSH's own behaviour; Paramiko's ``save_host_keys`` rewrites the whole file)::

    >>> e = parse_line("fx,10.0.0.9 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBvm0g== c", "kh", 1)
    >>> e.matches("10.0.0.9"), e.matches("other")
    (True, False)

Matching follows OpenSSH's ``match_hostname``: comma-separated patterns with ``*`` and
``?``, ``!pattern`` excludes, host names compare case-insensitively, and ``|1|salt|hash``
names are HMAC-SHA1 hashes (``HashKnownHosts yes``).
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import fnmatch
import hashlib
import hmac
import os
import struct
from collections.abc import Iterable
from dataclasses import dataclass

CERT_AUTHORITY = "@cert-authority"
REVOKED = "@revoked"
_HASH_MAGIC = "|1|"


@dataclass(frozen=True)
class Entry:
    """One key line of a known_hosts file, and where it is."""

    path: str
    lineno: int
    marker: str          # "", CERT_AUTHORITY or REVOKED
    patterns: str        # the host field as written
    keytype: str
    blob: bytes          # the decoded key

    @property
    def where(self) -> str:
        return f"{self.path}:{self.lineno}"

    def matches(self, name: str) -> bool:
        return match_host(self.patterns, name)


def key_name(blob: bytes) -> str:
    """The key type written inside an SSH key blob (``ssh-ed25519``...), or ""."""
    if len(blob) < 4:
        return ""
    (n,) = struct.unpack(">I", blob[:4])
    return blob[4:4 + n].decode("ascii", "replace")


def parse_line(line: str, path: str, lineno: int) -> Entry | None:
    """An Entry, or None for comments, blank and malformed lines (OpenSSH skips those too)."""
    fields = line.split()
    if not fields or fields[0].startswith("#"):
        return None
    marker = ""
    if fields[0].startswith("@"):
        marker, fields = fields[0], fields[1:]
        if marker not in (CERT_AUTHORITY, REVOKED):
            return None
    if len(fields) < 3:
        return None
    try:
        blob = base64.b64decode(fields[2], validate=True)
    except (binascii.Error, ValueError):
        return None
    return Entry(path, lineno, marker, fields[0], fields[1], blob)


def load(paths: Iterable[str]) -> list[Entry]:
    """Every entry of the files that exist, in order (user files first, as OpenSSH reads)."""
    entries: list[Entry] = []
    for path in paths:
        entries += _load_file(path).entries
    return entries


def matching(paths: Iterable[str], name: str) -> list[Entry]:
    """The entries of ``paths`` that match host ``name`` (``Entry.matches``), in order.

    A line that names hosts plainly (no wildcard, ``!`` or hash) is found by its names
    without a scan: a fleet's hosts each look themselves up in one shared known_hosts."""
    found: list[Entry] = []
    for path in paths:
        known = _load_file(path)
        hits = {*known.plain.get(name.lower(), ()),
                *(i for i in known.other if known.entries[i].matches(name))}
        found += [known.entries[i] for i in sorted(hits)]
    return found


@dataclass
class _Known:
    """One file's entries, and where each name it writes plainly is (entry positions)."""

    stamp: tuple[int, int, int, int]
    entries: list[Entry]
    plain: dict[str, list[int]]
    other: list[int]             # patterns, negations and hashed names: matched one by one

    @classmethod
    def of(cls, stamp: tuple[int, int, int, int], entries: list[Entry]) -> _Known:
        plain: dict[str, list[int]] = {}
        other: list[int] = []
        for i, e in enumerate(entries):
            if e.patterns.startswith(_HASH_MAGIC) or any(c in e.patterns for c in "*?!"):
                other.append(i)
                continue
            for host in {p.lower() for p in e.patterns.split(",")}:
                plain.setdefault(host, []).append(i)
        return cls(stamp, entries, plain, other)


_NONE = _Known((0, 0, 0, 0), [], {}, [])
# Each file as last read, by its identity, size and mtime: fifty hosts connecting at once
# read the same file fifty times, and an append changes size and mtime.
_files: dict[str, _Known] = {}


def _load_file(path: str) -> _Known:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            st = os.fstat(fh.fileno())
            stamp = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
            if (cached := _files.get(path)) is not None and cached.stamp == stamp:
                return cached
            lines = fh.read().splitlines()
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError, PermissionError):
        return _NONE
    entries = [e for n, text in enumerate(lines, 1)
               if (e := parse_line(text, path, n)) is not None]
    _files[path] = known = _Known.of(stamp, entries)
    return known


def match_host(patterns: str, name: str) -> bool:
    """OpenSSH's match_hostname: a negated pattern that matches wins, else any positive one."""
    name = name.lower()
    if patterns.startswith(_HASH_MAGIC):
        return _hash_matches(patterns, name)
    positive = False
    for pattern in patterns.split(","):
        negated = pattern.startswith("!")
        pattern = pattern[1:] if negated else pattern
        if fnmatch.fnmatchcase(name, _glob(pattern.lower())):
            if negated:
                return False
            positive = True
    return positive


def _glob(pattern: str) -> str:
    # OpenSSH patterns know only * and ?: brackets ("[host]:2222") are literal text.
    return pattern.replace("[", "[[]")


def _hash_matches(field: str, name: str) -> bool:
    parts = field.split("|")
    if len(parts) != 4:
        return False
    try:
        salt, want = base64.b64decode(parts[2]), base64.b64decode(parts[3])
    except (binascii.Error, ValueError):
        return False
    got = hmac.new(salt, name.encode(), hashlib.sha1).digest()
    return hmac.compare_digest(got, want)


def hash_name(name: str, salt: bytes | None = None) -> str:
    """``|1|salt|hash``: the name as ``HashKnownHosts yes`` writes it."""
    salt = salt or os.urandom(20)
    digest = hmac.new(salt, name.lower().encode(), hashlib.sha1).digest()
    return f"{_HASH_MAGIC}{base64.b64encode(salt).decode()}|{base64.b64encode(digest).decode()}"


def host_name(hostname: str, port: int, alias: str | None = None) -> str:
    """The name known_hosts files use: ``host``, ``[host]:port``, or ``HostKeyAlias``."""
    if alias:
        return alias
    return hostname if port == 22 else f"[{hostname}]:{port}"


def append(path: str, name: str, keytype: str, blob: bytes, *, hashed: bool) -> str:
    """Add one line for ``name`` at the end of ``path`` (created if missing, its directory
    0700 like ~/.ssh); no other byte of the file changes. Returns the line."""
    line = (f"{hash_name(name) if hashed else name} {keytype} "
            f"{base64.b64encode(blob).decode()}\n")
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, mode=0o700, exist_ok=True)
    with open(path, "a+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            fh.seek(0, os.SEEK_END)
            if fh.tell() > 0:
                fh.seek(-1, os.SEEK_END)
                if fh.read(1) != b"\n":  # a last line without newline stays whole
                    fh.write(b"\n")
            fh.write(line.encode())
            fh.flush()
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
    return line
