"""argv as a transport sends it: bytes checked once, and the SSH command line no shell can misread.

An SSH server runs the command it is sent as ``LOGIN_SHELL -c LINE``, and login shells
disagree on quoting: tcsh expands ``!`` inside single quotes and refuses newlines there,
fish reads ``\\\\`` and ``\\'`` inside them, zsh expands a leading ``=``. So the line is
constant text around one single-quoted word that holds only printable ASCII without
``' ! \\ %`` and ``\\ooo`` octal escapes: every shell (sh, dash, bash, zsh, ksh, tcsh,
csh, fish, busybox ash) passes that word through untouched, and ``/bin/sh``'s ``printf``
turns it back into the POSIX-quoted command, which ``/bin/sh`` then ``exec``\\ s::

    >>> command_line(["echo", "it's"])
    'exec /bin/sh -c \\'eval "exec $(printf "$1")"\\' fxkit \\'"echo" "it\\\\047s"\\''

The program is found and run by ``/bin/sh`` whatever the login shell, so a missing one
exits 127 everywhere. The price is one more ``exec`` of ``/bin/sh`` per command.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from fxkit.errors import InvalidRequest

# The line is one argument of the login shell (and the word one argument of /bin/sh):
# Linux refuses an argument longer than MAX_ARG_STRLEN (32 pages) with E2BIG.
LINE_MAX = 131072 - 1
PREFIX = "exec /bin/sh -c 'eval \"exec $(printf \"$1\")\"' fxkit '"
PLAIN_PREFIX = "exec /bin/sh -c 'eval \"exec $1\"' fxkit '"
# A batch (``batch_line``): the same, but ``/bin/sh`` runs the commands instead of exec'ing one.
BATCH_PREFIX = "exec /bin/sh -c 'eval \"$(printf \"$1\")\"' fxkit '"
PLAIN_BATCH_PREFIX = "exec /bin/sh -c 'eval \"$1\"' fxkit '"
BATCH_MARKER = re.compile(r"fxkit-[0-9a-f]{32}\Z")
# Kept as themselves in the word; every other byte becomes \ooo. ' ends the word, ! is
# tcsh's history, \ is fish's escape (and printf's), % is printf's directive.
_LITERAL = frozenset(range(0x20, 0x7F)) - frozenset(b"'!\\%")
_ESCAPE = tuple(chr(b) if b in _LITERAL else f"\\{b:03o}" for b in range(256))
# What the word may hold when it is sent as it is: printf is not run, so % is fine too.
_PLAIN = _LITERAL | {ord("%")}
# Inside sh's double quotes, these four keep a meaning: a backslash makes them plain.
_SH_SPECIAL = str.maketrans({c: "\\" + c for c in '$`"\\'})


def encode(text: str, what: str = "command argument") -> bytes:
    """``text`` as the bytes a program receives: UTF-8, with Python's surrogate escapes
    (``\\udc80``-``\\udcff``, how ``os`` hands out undecodable bytes) back to raw bytes.
    Any other lone surrogate has no bytes at all: InvalidRequest."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError as e:
        bad = text[e.start:e.end]
        raise InvalidRequest(f"{what} {_excerpt(text)} contains a lone surrogate "
                             f"({bad.encode('unicode_escape').decode()}), which is no "
                             "character and has no bytes: fix the string it came from") from None


def check_argv(argv: Sequence[str]) -> list[bytes]:
    """Each argument as bytes; a program name starting with ``-`` is refused (shells and
    ``exec`` would read it as an option)."""
    if argv and argv[0].startswith("-"):
        raise InvalidRequest(f"program name {argv[0]!r} starts with '-': give the program "
                             "first, then its options")
    return [encode(a) for a in argv]


def sh_quote(arg: bytes) -> bytes:
    """One argument in POSIX ``sh`` double quotes (exact for any bytes but NUL)."""
    return b'"' + arg.decode("latin-1").translate(_SH_SPECIAL).encode("latin-1") + b'"'


def command_line(argv: Sequence[str]) -> str:
    """The line an SSH server runs with the user's login shell so that ``/bin/sh``
    execs ``argv`` byte for byte (see the module docstring). Pure ASCII."""
    script = b" ".join(sh_quote(a) for a in check_argv(argv))
    return _line(script, PLAIN_PREFIX, PREFIX, " ".join(argv))


def batch_line(argvs: Sequence[Sequence[str]], marker: str) -> str:
    """The line that runs several read-only commands in turn in one ``/bin/sh``: each with
    stdin from /dev/null, then ``marker`` and its exit status on stdout (``marker`` alone on
    stderr), each on a line of its own (``split_batch`` takes them apart). Same encoding as
    ``command_line``, so it passes any login shell the same way."""
    if not BATCH_MARKER.match(marker):
        raise InvalidRequest(f"batch marker {marker!r} is not fxkit- and 32 hex digits")
    tail = _batch_tail(marker).encode("ascii")
    script = b"".join(b" ".join(sh_quote(a) for a in check_argv(argv)) + tail
                      for argv in argvs)
    return _line(script, PLAIN_BATCH_PREFIX, BATCH_PREFIX,
                 "; ".join(" ".join(argv) for argv in argvs))


def batch_groups(argvs: Sequence[Sequence[str]], marker: str) -> list[int]:
    """How many of ``argvs``, in order, go into each ``batch_line`` so that every line
    stays under LINE_MAX (a command too long on its own is refused by ``batch_line``)."""
    tail = len(_batch_tail(marker))
    room = LINE_MAX - len(BATCH_PREFIX) - 1
    groups: list[int] = []
    used = count = 0
    for argv in argvs:
        size = sum(len(_ESCAPE[b]) for a in check_argv(argv) for b in sh_quote(a)) \
            + len(argv) + tail        # each byte as printf's form: the longer of the two
        if count and used + size > room:
            groups.append(count)
            used = count = 0
        used += size
        count += 1
    return groups + ([count] if count else [])


def _line(script: bytes, plain_prefix: str, prefix: str, shown: str) -> str:
    if _PLAIN.issuperset(script):   # nothing a shell reads in single quotes, nothing for printf
        line = plain_prefix + script.decode("ascii") + "'"
    else:
        line = prefix + "".join(_ESCAPE[b] for b in script) + "'"
    if len(line) > LINE_MAX:
        raise InvalidRequest(
            f"command {_excerpt(shown)} is too long to send over SSH: "
            f"{len(line)} bytes once encoded for the remote shell, the limit is {LINE_MAX}. "
            "Pass large data on stdin (run(..., input=...)) or in a file")
    return line


def _batch_tail(marker: str) -> str:
    # the newline before each marker ends a last line the command may have left open
    return f" </dev/null; s=$?; echo; echo {marker} $s; echo >&2; echo {marker} >&2; "


def split_batch(stdout: str, stderr: str, marker: str) -> list[tuple[int, str, str]]:
    """(exit status, stdout, stderr) of each command of a ``batch_line`` that ended, in order.

    Each command's stdout is followed by a newline, then ``marker STATUS`` on a line; its
    stderr by a newline, then ``marker`` on a line. Output after the last marker (a
    command that never ended) is not a result.
    """
    outs, errs = stdout.split(f"\n{marker} "), stderr.split(f"\n{marker}\n")
    results: list[tuple[int, str, str]] = []
    for k, err in enumerate(errs[:-1]):
        if k + 1 >= len(outs):
            break
        status, nl, rest = outs[k + 1].partition("\n")
        if not nl or not status.isdigit():
            break
        outs[k + 1] = rest
        results.append((int(status), outs[k], err))
    return results


_WORD = re.compile(r"(?:[ \"-$&(-\[\]-~]|\\[0-7]{3})*\Z")   # literals and \ooo escapes only
_OCTAL = re.compile(r"\\([0-7]{3})")


def decode_command_line(line: str) -> list[str] | None:
    """The argv a ``command_line`` line runs, or None if ``line`` is not one (what the
    lab's SSH server uses to run it without a POSIX shell of its own)."""
    script = _script(line, PLAIN_PREFIX, PREFIX)
    return _argv(script) if script is not None else None


def decode_batch_line(line: str) -> tuple[str, list[list[str]]] | None:
    """The marker and the argvs of a ``batch_line`` line, or None if ``line`` is not one."""
    script = _script(line, PLAIN_BATCH_PREFIX, BATCH_PREFIX)
    m = _BATCH_TAIL.search(script.decode("latin-1")) if script is not None else None
    if script is None or m is None:
        return None
    marker = m.group(1)
    parts = script.split(_batch_tail(marker).encode("ascii"))
    if parts[-1] or len(parts) < 2:
        return None
    argvs = [_argv(part) for part in parts[:-1]]
    return (marker, argvs) if all(a is not None for a in argvs) else None   # type: ignore


_BATCH_TAIL = re.compile(r" </dev/null; s=\$\?; echo; echo (fxkit-[0-9a-f]{32}) \$s; ")


def _script(line: str, plain_prefix: str, prefix: str) -> bytes | None:
    """The POSIX sh script a line built by ``_line`` holds, or None."""
    if line.startswith(plain_prefix) and line.endswith("'") and len(line) > len(plain_prefix):
        word = line[len(plain_prefix):-1]
        if not set(word.encode("latin-1", "replace")) <= _PLAIN:
            return None
        return word.encode("ascii")
    if line.startswith(prefix) and line.endswith("'") and len(line) > len(prefix):
        word = line[len(prefix):-1]
        if not _WORD.match(word):
            return None
        return _OCTAL.sub(lambda m: chr(int(m.group(1), 8)), word).encode("latin-1")
    return None


def _argv(script: bytes) -> list[str] | None:
    """The words of ``"a" "b" ...`` as ``sh_quote`` wrote them, or None."""
    argv: list[str] = []
    i = 0
    while i < len(script):
        if script[i:i + 1] != b'"' or (argv and script[i - 1:i] != b" "):
            return None
        arg, i = bytearray(), i + 1
        while i < len(script) and script[i:i + 1] != b'"':
            if script[i:i + 1] == b"\\" and script[i + 1:i + 2] in (b"$", b"`", b'"', b"\\"):
                i += 1
            arg += script[i:i + 1]
            i += 1
        if i >= len(script):
            return None
        argv.append(arg.decode("utf-8", "surrogateescape"))
        i += 2                                   # the closing quote and the space
    return argv or None


def _excerpt(text: str, limit: int = 60) -> str:
    shown = text if len(text) <= limit else text[:limit] + "..."
    return repr(shown.encode("utf-8", "backslashreplace").decode("ascii", "backslashreplace"))
