"""Xen domain config files (xm and xl): a safe tokenizer, parser and renderer.

A config file is a list of ``key = value`` assignments whose values are
strings, numbers or (possibly multi-line) lists of those; comments and blank
lines are kept, unknown keys are kept. Nothing is ever executed::

    >>> c = DomainConfig.parse('name = "titanic"\\nmemory = 128\\n')
    >>> c.name, c.memory
    ('titanic', 128)
    >>> DomainConfig.parse(c.render()) == c
    True

The value grammar is libxlu's (Xen ``tools/libs/util/libxlu_cfg_l.l`` and
``libxlu_cfg_y.y``: strings in single or double quotes, numbers, lists with
an optional trailing comma, ``;`` between settings) plus what xm's Python
files use in practice (triple-quoted strings, ``True``/``False``). Anything
else (expressions, ``import``, ``if``) is a ``ParseError`` naming the line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from fxkit.errors import ParseError
from fxkit.xen.specs import DiskSpec, VifSpec

Value = str | int | float | bool | list["Value"]


@dataclass(frozen=True)
class Comment:
    """A comment line (``text`` without its ``#``) or, when ``text`` is None, a blank line."""

    text: str | None


@dataclass(frozen=True)
class Setting:
    """One ``key = value`` assignment, with the comment that ended its line."""

    key: str
    value: Value
    comment: str | None = None


Item = Comment | Setting

_TOKEN = re.compile(r"""
    (?P<nl>\n)
  | (?P<ws>(?:[ \t\r\f]|\\\n)+)
  | (?P<comment>\#[^\n]*)
  | (?P<str3>'''(?:[^\\]|\\.)*?'''|\"\"\"(?:[^\\]|\\.)*?\"\"\")
  | (?P<str>'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")
  | (?P<num>[-+]?(?:0[xX][0-9a-fA-F]+|\d+\.\d*(?:[eE][-+]?\d+)?|\d+(?:[eE][-+]?\d+)?|\.\d+))
  | (?P<ident>[A-Za-z_][A-Za-z0-9_.]*)
  | (?P<op>[=\[\],;])
""", re.VERBOSE | re.DOTALL)

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"', "a": "\a",
            "b": "\b", "f": "\f", "v": "\v", "0": "\0"}
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*\Z")


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    line: int


def tokenize(text: str, source: str = "<config>") -> list[Token]:
    """Split a config file into tokens; whitespace is dropped, newlines and comments kept."""
    tokens: list[Token] = []
    pos, line = 0, 1
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            bad = text[pos:].split("\n", 1)[0]
            raise ParseError(f"{source}:{line}: cannot read {bad[:40]!r}: config files hold "
                             "only key = value with strings, numbers and lists (no Python "
                             "code); rewrite the line as a plain value")
        kind = m.lastgroup or ""
        if kind != "ws":
            tokens.append(Token(kind, m.group(), line))
        line += m.group().count("\n")
        pos = m.end()
    return tokens


def _unquote(tok: Token) -> str:
    body = tok.text[3:-3] if tok.kind == "str3" else tok.text[1:-1]
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), "\\" + m.group(1)), body,
                  flags=re.DOTALL)


class _Parser:
    def __init__(self, tokens: list[Token], source: str) -> None:
        self.toks, self.i, self.source = tokens, 0, source
        self.pending: list[Comment] = []   # comments met inside a value: moved before it

    def peek(self) -> Token | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def error(self, tok: Token | None, what: str) -> ParseError:
        where = f"{self.source}:{tok.line}" if tok else f"{self.source}: at end of file"
        got = repr(tok.text) if tok else "end of file"
        return ParseError(f"{where}: expected {what}, found {got}; a setting is "
                          "key = \"string\" | number | [ list ] (no Python expressions)")

    def take(self, kind: str, text: str | None = None) -> Token:
        tok = self.peek()
        if tok is None or tok.kind != kind or (text is not None and tok.text != text):
            raise self.error(tok, repr(text) if text else kind)
        self.i += 1
        return tok

    def skip_layout(self) -> None:
        """Inside a list: newlines are free, comments move before the setting."""
        while (tok := self.peek()) is not None and tok.kind in ("nl", "comment"):
            if tok.kind == "comment":
                self.pending.append(Comment(tok.text[1:]))
            self.i += 1

    def value(self) -> Value:
        self.skip_layout()
        tok = self.peek()
        if tok is None:
            raise self.error(tok, "a value")
        self.i += 1
        if tok.kind in ("str", "str3"):
            return _unquote(tok)
        if tok.kind == "num":
            return _number(tok.text)
        if tok.kind == "ident" and tok.text in ("True", "False"):
            return tok.text == "True"
        if tok.kind == "op" and tok.text == "[":
            items: list[Value] = []
            while True:
                self.skip_layout()
                nxt = self.peek()
                if nxt is not None and nxt.kind == "op" and nxt.text == "]":
                    self.i += 1
                    return items
                items.append(self.value())
                self.skip_layout()
                nxt = self.peek()
                if nxt is not None and nxt.kind == "op" and nxt.text == ",":
                    self.i += 1
                elif not (nxt is not None and nxt.kind == "op" and nxt.text == "]"):
                    raise self.error(nxt, "',' or ']' in a list")
        raise self.error(tok, "a string, a number or a [ list ]")

    def items(self) -> list[Item]:
        out: list[Item] = []
        at_line_start = True
        while (tok := self.peek()) is not None:
            if tok.kind == "nl":
                if at_line_start:
                    out.append(Comment(None))
                at_line_start = True
                self.i += 1
            elif tok.kind == "comment":
                out.append(Comment(tok.text[1:]))
                self.i += 1
                if (nxt := self.peek()) is not None and nxt.kind == "nl":
                    self.i += 1
                at_line_start = True
            elif tok.kind == "op" and tok.text == ";":
                self.i += 1
            else:
                key = self.take("ident")
                self.take("op", "=")
                value = self.value()
                comment = None
                nxt = self.peek()
                if nxt is not None and nxt.kind == "op" and nxt.text == ";":
                    self.i += 1
                    nxt = self.peek()
                if nxt is not None and nxt.kind == "comment":
                    comment = nxt.text[1:]
                    self.i += 1
                    nxt = self.peek()
                if nxt is not None and nxt.kind == "nl":
                    self.i += 1
                elif nxt is not None and not (nxt.kind == "ident"):
                    raise self.error(nxt, "the end of the line after the value")
                out.extend(self.pending)
                self.pending.clear()
                out.append(Setting(key.text, value, comment))
                at_line_start = True
        return out


def _number(text: str) -> int | float:
    if re.fullmatch(r"[-+]?0[xX][0-9a-fA-F]+", text):
        return int(text, 16)
    try:
        return int(text)
    except ValueError:
        return float(text)


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

    @classmethod
    def parse(cls, text: str, path: str | None = None) -> DomainConfig:
        """Parse config text; raise ``ParseError`` naming the line on anything else."""
        parser = _Parser(tokenize(text, path or "<config>"), path or "<config>")
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
            return int(value)   # xen-tools writes memory = '256' as a string
        except ValueError:
            raise ParseError(f"{self.path or 'config'}: {key} = {value!r} is not a number; "
                             f"write e.g. {key} = 128") from None

    def _str(self, key: str) -> str | None:
        value = self.get(key)
        return None if value is None else str(value)

    def _list(self, key: str) -> list[str]:
        value = self.get(key)
        if value is None:
            return []
        return [str(v) for v in (value if isinstance(value, list) else [value])]

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
        return [VifSpec.parse(v) for v in self._list("vif")]

    @property
    def disks(self) -> list[DiskSpec]:
        return [DiskSpec.parse(d) for d in self._list("disk")]
