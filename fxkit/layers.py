"""A host read layer by layer (LVM, Xen, bridges): each read, absent or unreadable, and why.

A host with LVM but no Xen still shows its volumes::

    >>> xen, layer = read_layer("xen", lambda: read_xen(host), EMPTY_XEN)   # doctest: +SKIP
    >>> print(layer)                                                       # doctest: +SKIP
    Xen: absent (fx: `xl` is not installed on fx ... Fix: install it (...xen-utils))

"absent": the layer's tool is not on the host. "unreadable": the tool is there but
answered with an error (sudo refused it, Xen is not running, output not understood).
Losing the connection, or sudo asking for a password, is not a layer's problem: those
errors go up unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from fxkit.errors import CommandError, ParseError, PreconditionFailed, ToolNotFound

READ, ABSENT, UNREADABLE = "read", "absent", "unreadable"
LABELS = {"lvm": "LVM", "xen": "Xen", "net": "bridges"}
T = TypeVar("T")


@dataclass(frozen=True)
class Layer:
    """How one layer of a host was read: ``status`` is read, absent or unreadable."""

    name: str
    status: str = READ
    reason: str = ""
    error: Exception | None = field(default=None, compare=False, repr=False)

    @property
    def ok(self) -> bool:
        return self.status == READ

    @property
    def label(self) -> str:
        return LABELS.get(self.name, self.name)

    def __str__(self) -> str:
        return f"{self.label}: {self.status}" + (f" ({self.reason})" if self.reason else "")

    def require(self, action: str) -> None:
        """Refuse ``action`` (PreconditionFailed, with the reason) unless this layer was read."""
        if not self.ok:
            raise PreconditionFailed(f"cannot {action}: {self.label} is {self.status} on this "
                                     f"host: {self.reason}") from self.error


def read_layer(name: str, read: Callable[[], T], empty: T) -> tuple[T, Layer]:
    """``read()`` and a read Layer, or ``empty`` and the Layer saying why it could not be read."""
    try:
        return read(), Layer(name)
    except ToolNotFound as e:
        return empty, Layer(name, ABSENT, _first_line(e), e)
    except (CommandError, ParseError) as e:
        return empty, Layer(name, UNREADABLE, _first_line(e), e)


def require_layer(name: str, read: Callable[[], T], action: str) -> T:
    """``read()`` for a plan: a layer that is absent refuses ``action`` (PreconditionFailed
    with the reason); any other error goes up as it is."""
    try:
        return read()
    except ToolNotFound as e:
        Layer(name, ABSENT, _first_line(e), e).require(action)
        raise   # not reached: require raised


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
