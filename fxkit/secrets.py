"""Secret strings: marked once, masked in everything fxkit shows or logs.

    >>> from fxkit.secrets import Secret, mask
    >>> token = Secret("hunter2")
    >>> mask(f"login with {token}")
    'login with ******'

Masked, in every process (a runbook's kernel masks its own outputs with it too):

- values marked ``Secret`` in this process (the registry is per process);
- the values of environment variables marked secret: those ``FXKIT_SECRET_ENV`` names
  (comma- or space-separated, globs allowed: ``FXKIT_SECRET_ENV="DB_PASS,VAULT_*"``) and
  those whose name says so (``*PASSWORD*``, ``*TOKEN*``, ``*SECRET*``, ``*API_KEY*``...),
  when at least ``MIN_ENV_SECRET`` characters long;
- the password of a URL (``ssh://user:pw@host`` shows as ``ssh://user:******@host``);
- private key blocks: PEM and OpenSSH (``-----BEGIN ... PRIVATE KEY-----``) and PuTTY
  (``PuTTY-User-Key-File-N:`` to ``Private-MAC:``); a block that never ends is masked to
  the end. ``BlockScrubber`` does the same across the pieces of a stream (a key printed
  in two parts).
"""

from __future__ import annotations

import fnmatch
import os
import re
import threading

MASK = "******"
SECRET_ENV = "FXKIT_SECRET_ENV"
MIN_ENV_SECRET = 4   # shorter values cannot be masked without destroying every output
_known: set[str] = set()
_lock = threading.Lock()
_SECRET_NAME = re.compile(r"pass(word|wd|phrase)?|secret|token|api_?key|private_?key|credential",
                          re.IGNORECASE)
_URL_PASSWORD = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.-]*://[^\s/@:]*):(?P<pw>[^\s/@]*)@")
_BEGIN = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----|PuTTY-User-Key-File-\d+:")
_END = re.compile(r"-----END [A-Z0-9 ]*PRIVATE KEY-----|Private-MAC:[^\n]*")
_HINTS = ("PRIVATE KEY-----", "PuTTY-User-Key-File")


class Secret(str):
    """A string that must never appear in output, logs or notebooks."""

    __slots__ = ()

    def __new__(cls, value: str) -> Secret:
        self = super().__new__(cls, value)
        if value:
            with _lock:
                _known.add(str(value))
        return self

    def __repr__(self) -> str:
        return f"Secret({MASK!r})"


_names: dict[tuple[tuple[str | bytes, ...], str], list[str]] = {}   # the last answer, by env names


def env_secret_names(environ: os._Environ[str] | dict[str, str] | None = None) -> list[str]:
    """The environment variables whose values are secrets (see the module docstring)."""
    env = os.environ if environ is None else environ
    # os.environ decodes every name it iterates: its own bytes keys make the same key for
    # a fraction of the cost (this runs several times for each command logged).
    names = env._data if isinstance(env, os._Environ) else env   # type: ignore[attr-defined]
    key = (tuple(names), env.get(SECRET_ENV, ""))
    if (found := _names.get(key)) is not None:
        return found
    patterns = [p for p in re.split(r"[,\s]+", key[1]) if p]
    found = sorted(name for name in env if name != SECRET_ENV and (
        _SECRET_NAME.search(name) or any(fnmatch.fnmatchcase(name, p) for p in patterns)))
    _names.clear()
    _names[key] = found
    return found


def secret_values() -> list[str]:
    """Every value masked by ``mask``, longest first."""
    with _lock:
        values = set(_known)
    values.update(v for n in env_secret_names() if len(v := os.environ.get(n, ""))
                  >= MIN_ENV_SECRET)
    return sorted(values, key=len, reverse=True) if len(values) > 1 else list(values)


def mask(text: str, values: list[str] | None = None) -> str:
    """``text`` with every secret (values, URL passwords, private key blocks) masked.

    ``values`` is ``secret_values()`` taken once by a caller masking many strings at once
    (an audit line's argv and outputs); by default it is taken now."""
    if not text:
        return text
    for value in secret_values() if values is None else values:
        if value in text:
            text = text.replace(value, MASK)
    if "://" in text:
        text = _URL_PASSWORD.sub(lambda m: f"{m['head']}:{MASK}@" if m["pw"] else m[0], text)
    if _HINTS[0] in text or _HINTS[1] in text:
        text = mask_key_blocks(text)
    return text


def mask_key_blocks(text: str) -> str:
    """Private key blocks replaced by ``******``; an unterminated one to the end."""
    out, pos = [], 0
    while (begin := _BEGIN.search(text, pos)) is not None:
        out.append(text[pos:begin.start()] + MASK)
        end = _END.search(text, begin.end())
        if end is None:
            return "".join(out)
        pos = end.end()
    return "".join(out) + text[pos:]


def mask_argv(argv: tuple[str, ...] | list[str], values: list[str] | None = None
              ) -> tuple[str, ...]:
    """The argv as it may be shown: Secret items replaced, known values masked."""
    values = secret_values() if values is None else values
    return tuple(MASK if isinstance(a, Secret) else mask(a, values) for a in argv)


def has_url_password(text: str) -> bool:
    """Whether ``text`` holds a URL with a password (``ssh://user:pw@host``)."""
    return any(m["pw"] for m in _URL_PASSWORD.finditer(text))


class BlockScrubber:
    """``mask`` for a stream that arrives in pieces: a key block begun in one piece stays
    masked in the next ones until it ends, and a marker split between two pieces is found.

        >>> s = BlockScrubber()
        >>> s("key: -----BEGIN OPENSSH PRIVATE KEY-----\\nb3Bl")
        'key: ******'
        >>> s("bnNz\\n-----END OPENSSH PRIVATE KEY-----\\nafter\\n")
        '******\\nafter\\n'
    """

    CARRY = 64   # longer than any marker: a marker split across two pieces is still seen

    def __init__(self) -> None:
        self.inside = False
        self.carry = ""

    def __call__(self, piece: str) -> str:
        if not piece:
            return piece
        text = self.carry + piece
        start = len(self.carry)
        hidden = [False] * len(text)
        pos = 0
        if self.inside:
            end = _END.search(text)
            stop = end.end() if end else len(text)
            hidden[:stop] = [True] * stop
            self.inside, pos = end is None, stop
        while not self.inside and (begin := _BEGIN.search(text, pos)) is not None:
            end = _END.search(text, begin.end())
            stop = end.end() if end else len(text)
            hidden[begin.start():stop] = [True] * (stop - begin.start())
            self.inside, pos = end is None, stop
        self.carry = text[-self.CARRY:]
        out, masking = [], False
        for i in range(start, len(text)):
            if hidden[i]:
                if not masking:
                    out.append(MASK)
                masking = True
            else:
                out.append(text[i])
                masking = False
        return mask("".join(out))
