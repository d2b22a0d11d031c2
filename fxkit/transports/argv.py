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
    if _PLAIN.issuperset(script):   # nothing a shell reads in single quotes, nothing for printf
        line = PLAIN_PREFIX + script.decode("ascii") + "'"
    else:
        line = PREFIX + "".join(_ESCAPE[b] for b in script) + "'"
    if len(line) > LINE_MAX:
        raise InvalidRequest(
            f"command {_excerpt(' '.join(argv))} is too long to send over SSH: "
            f"{len(line)} bytes once encoded for the remote shell, the limit is {LINE_MAX}. "
            "Pass large data on stdin (run(..., input=...)) or in a file")
    return line


_WORD = re.compile(r"(?:[ \"-$&(-\[\]-~]|\\[0-7]{3})*\Z")   # literals and \ooo escapes only
_OCTAL = re.compile(r"\\([0-7]{3})")


def decode_command_line(line: str) -> list[str] | None:
    """The argv a ``command_line`` line runs, or None if ``line`` is not one (what the
    lab's SSH server uses to run it without a POSIX shell of its own)."""
    if line.startswith(PLAIN_PREFIX) and line.endswith("'") and len(line) > len(PLAIN_PREFIX):
        word = line[len(PLAIN_PREFIX):-1]
        if not set(word.encode("latin-1", "replace")) <= _PLAIN:
            return None
        script = word.encode("ascii")
    elif line.startswith(PREFIX) and line.endswith("'") and len(line) > len(PREFIX):
        word = line[len(PREFIX):-1]
        if not _WORD.match(word):
            return None
        script = _OCTAL.sub(lambda m: chr(int(m.group(1), 8)), word).encode("latin-1")
    else:
        return None
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
