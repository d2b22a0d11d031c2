"""Containers that say when they change: the lab state's files, dirs, faults and counters.

The store saves a state only when it changed (``LabState.changes`` moved); these make
every edit of those containers count, whoever makes it (a command, SFTP, a test)::

    >>> seen = []
    >>> files = TrackedDict(lambda: seen.append(1), {"/etc/hostname": "fx"})
    >>> files["/etc/motd"] = "hi"; del files["/etc/hostname"]
    >>> len(seen)
    2
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

Notify = Callable[[], None]


def _notifying(base: type, names: Iterable[str]) -> dict[str, Any]:
    def wrap(name: str) -> Callable[..., Any]:
        method = getattr(base, name)

        def changed(self: Any, *args: Any, **kwargs: Any) -> Any:
            result = method(self, *args, **kwargs)
            self._notify()
            return result
        changed.__name__ = name
        return changed
    return {name: wrap(name) for name in names}


class TrackedDict(dict):  # type: ignore[type-arg]
    """A dict calling ``notify`` after every change."""

    def __init__(self, notify: Notify, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._notify = notify

    locals().update(_notifying(dict, ("__setitem__", "__delitem__", "pop", "popitem",
                                      "clear", "update", "setdefault", "__ior__")))


class TrackedSet(set):  # type: ignore[type-arg]
    """A set calling ``notify`` after every change."""

    def __init__(self, notify: Notify, *args: Any) -> None:
        super().__init__(*args)
        self._notify = notify

    locals().update(_notifying(set, (
        "add", "discard", "remove", "pop", "clear", "update", "difference_update",
        "intersection_update", "symmetric_difference_update", "__ior__", "__iand__",
        "__isub__", "__ixor__")))


class TrackedList(list):  # type: ignore[type-arg]
    """A list calling ``notify`` after every change."""

    def __init__(self, notify: Notify, *args: Any) -> None:
        super().__init__(*args)
        self._notify = notify

    locals().update(_notifying(list, (
        "__setitem__", "__delitem__", "append", "extend", "insert", "pop", "remove",
        "clear", "sort", "reverse", "__iadd__", "__imul__")))
