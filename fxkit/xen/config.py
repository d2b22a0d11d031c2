"""Xen domain config files (xm and xl): a safe tokenizer, parser and renderer.

A config file is a list of ``key = value`` assignments whose values are
strings, numbers or (possibly multi-line) lists of those; comments and blank
lines are kept, unknown keys are kept. Nothing is ever executed::

    >>> c = DomainConfig.parse('name = "titanic"\\nmemory = 128\\n')
    >>> c.name, c.memory
    ('titanic', 128)
    >>> DomainConfig.parse(c.render()) == c
    True

The grammar (libxlu's, plus what xm's Python files use in practice) and its limits are
in ``fxkit.xen.config_syntax``; anything else is a ``ParseError`` naming the line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TypeVar

from fxkit.errors import ParseError
from fxkit.excerpt import excerpt
from fxkit.xen.config_syntax import (
    MAX_INT,
    MAX_NUMBER,
    Comment,
    Item,
    Parser,
    Setting,
    Token,
    Value,
    tokenize,
)
from fxkit.xen.specs import DiskSpec, VifSpec

S = TypeVar("S", DiskSpec, VifSpec)

__all__ = ["Comment", "DomainConfig", "Item", "Setting", "Token", "Value", "render_value",
           "tokenize"]
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*\Z")

def _quote(s: str, q: str) -> str:
    body = s.replace("\\", "\\\\").replace(q, "\\" + q).replace("\n", "\\n").replace("\t", "\\t")
    return f"{q}{body}{q}"


def render_value(value: Value, style: str = "xl", indent: int = 0) -> str:
    """One value in config syntax; long lists go one element per line."""
    q = '"' if style == "xl" else "'"
    if isinstance(value, bool):
        return ("1" if value else "0") if style == "xl" else repr(value)
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return _quote(value, q)
    parts = [render_value(v, style, indent + 4) for v in value]
    one_line = "[ " + ", ".join(parts) + " ]" if parts else "[ ]"
    if len(one_line) + indent <= 72 and "\n" not in one_line:
        return one_line
    pad = " " * (indent + 4)
    return "[\n" + "".join(f"{pad}{p},\n" for p in parts) + " " * indent + "]"


@dataclass
class DomainConfig:
    """An xm/xl domain config: ordered items (settings, comments, blank lines)."""

    items: list[Item] = field(default_factory=list)
    path: str | None = field(default=None, compare=False)
    # disk and vif lines parsed, by their text: a read checks them, then the storage and
    # network views and the reports read them again (libxl's disk scanner is the costly
    # part of a config). Keyed by text, so a change to ``items`` never makes it stale.
    _specs: dict[tuple[type, str], object] = field(
        default_factory=dict, init=False, compare=False, repr=False)

    @classmethod
    def parse(cls, text: str, path: str | None = None) -> DomainConfig:
        """Parse config text; raise ``ParseError`` naming the line on anything else."""
        parser = Parser(tokenize(text, path or "<config>"), path or "<config>")
        items = parser.items()
        while items and items[-1] == Comment(None):
            items.pop()
        return cls(items, path)

    def render(self, style: str = "xl") -> str:
        """The config as text, in ``xl`` style (double quotes) or ``xm`` style (Python)."""
        if style not in ("xl", "xm"):
            raise ValueError(f"style {style!r}: use 'xl' or 'xm'")
        lines = []
        for item in self.items:
            if isinstance(item, Comment):
                lines.append("" if item.text is None else "#" + item.text)
            else:
                text = f"{item.key} = {render_value(item.value, style, 0)}"
                lines.append(text + (f"  #{item.comment}" if item.comment is not None else ""))
        return "\n".join(lines) + "\n"

    # -- access ------------------------------------------------------------------------

    @property
    def settings(self) -> dict[str, Value]:
        """Every setting, the last one winning (as xl does)."""
        return {s.key: s.value for s in self.items if isinstance(s, Setting)}

    def get(self, key: str, default: Value | None = None) -> Value | None:
        return self.settings.get(key, default)

    def __contains__(self, key: str) -> bool:
        return key in self.settings

    def __getitem__(self, key: str) -> Value:
        return self.settings[key]

    def set(self, key: str, value: Value, comment: str | None = None) -> None:
        """Change a setting in place (keeping its position) or append it.

        When a key is set twice in the file, the last one (the one xl uses) changes.
        """
        if not _KEY.match(key):
            raise ValueError(f"{key!r} is not a config key: use letters, digits, _ and .")
        for n in reversed(range(len(self.items))):
            item = self.items[n]
            if isinstance(item, Setting) and item.key == key:
                self.items[n] = Setting(key, value, comment if comment is not None
                                        else item.comment)
                return
        self.items.append(Setting(key, value, comment))

    def remove(self, key: str) -> None:
        self.items = [i for i in self.items if not (isinstance(i, Setting) and i.key == key)]

    def _int(self, key: str) -> int | None:
        value = self.get(key)
        if value is None or isinstance(value, list):
            return None
        try:
            if isinstance(value, str) and len(value.strip()) > MAX_NUMBER:
                raise ValueError(value)
            number = int(value)   # xen-tools writes memory = '256' as a string
        except (ValueError, OverflowError):
            number = None
        if number is None or abs(number) >= MAX_INT:
            raise ParseError(f"{self.path or 'config'}: {key} = {excerpt(value)} is not a "
                             f"number; write e.g. {key} = 128")
        return number

    def _str(self, key: str) -> str | None:
        value = self.get(key)
        return None if value is None else str(value)

    def _list(self, key: str) -> list[str]:
        value = self.get(key)
        if value is None:
            return []
        return [str(v) for v in (value if isinstance(value, list) else [value])]

    def get_list(self, key: str) -> list[str]:
        """Setting ``key`` as a list of strings (a lone value is a list of one)."""
        return self._list(key)

    def check(self) -> None:
        """Raise ParseError (naming the file) unless every setting fxkit reads is usable:
        a name, numbers where numbers go, disk and vif lines xl accepts."""
        where = self.path or "config"
        name = self.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ParseError(f"{where}: no domain name (name = \"...\"): xl cannot start it "
                             f"and fxkit cannot tell which domU it is"
                             + ("" if name is None else f"; name is {excerpt(name)}"))
        for key in ("memory", "maxmem", "vcpus"):
            self._int(key)
        for line in self._list("disk"):
            self._parsed(DiskSpec, line)  # SpecError (a ParseError) for what xl refuses
        for line in self._list("vif"):
            self._parsed(VifSpec, line)

    @property
    def name(self) -> str | None:
        return self._str("name")

    @property
    def memory(self) -> int | None:
        return self._int("memory")

    @property
    def maxmem(self) -> int | None:
        return self._int("maxmem")

    @property
    def vcpus(self) -> int:
        return self._int("vcpus") or 1

    @property
    def kernel(self) -> str | None:
        return self._str("kernel")

    @property
    def ramdisk(self) -> str | None:
        return self._str("ramdisk")

    @property
    def root(self) -> str | None:
        return self._str("root")

    @property
    def vifs(self) -> list[VifSpec]:
        return [self._parsed(VifSpec, v) for v in self._list("vif")]

    @property
    def disks(self) -> list[DiskSpec]:
        return [self._parsed(DiskSpec, d) for d in self._list("disk")]

    def _parsed(self, kind: type[S], line: str) -> S:
        if (spec := self._specs.get((kind, line))) is None:
            spec = self._specs[(kind, line)] = kind.parse(line)
        return spec  # type: ignore[return-value]
