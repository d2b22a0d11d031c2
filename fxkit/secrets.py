"""Secret strings: marked once, masked in everything fxkit shows or logs.

    >>> from fxkit.secrets import Secret, mask
    >>> token = Secret("hunter2")
    >>> mask(f"login with {token}")
    'login with ******'
"""

from __future__ import annotations

import threading

MASK = "******"
_known: set[str] = set()
_lock = threading.Lock()


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


def mask(text: str) -> str:
    """Replace every known secret value in ``text`` by ``******``."""
    if not _known or not text:
        return text
    with _lock:
        values = sorted(_known, key=len, reverse=True)
    for value in values:
        if value in text:
            text = text.replace(value, MASK)
    return text


def mask_argv(argv: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """The argv as it may be shown: Secret items replaced, known values masked."""
    return tuple(MASK if isinstance(a, Secret) else mask(a) for a in argv)
