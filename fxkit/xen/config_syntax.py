"""The grammar of Xen domain config files: tokens, values and settings, never executed.

The value grammar is libxlu's (Xen ``tools/libs/util/libxlu_cfg_l.l`` and
``libxlu_cfg_y.y``: strings in single or double quotes, numbers, lists with
an optional trailing comma, ``;`` between settings) plus what xm's Python
files use in practice (triple-quoted strings, ``True``/``False``). Anything
else (expressions, ``import``, ``if``) is a ``ParseError`` naming the line, and so are
lists nested deeper than ``MAX_DEPTH`` and numbers past ``MAX_NUMBER`` characters or
64 bits (a file crafted to exhaust the parser is refused, not obeyed)::

    >>> [t.kind for t in tokenize("memory = 128")]
    ['ident', 'op', 'num']
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import NamedTuple

from fxkit.errors import ParseError
from fxkit.excerpt import excerpt

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
# Limits no real config comes near; past them the file is a mistake or an attack, and a
# ParseError names it instead of a RecursionError or a float that is infinity.
MAX_DEPTH = 16        # lists in lists (xl's own configs nest two deep at most)
MAX_NUMBER = 40       # characters of one number
MAX_INT = 2 ** 63     # libxl's widest integers are 64-bit


class Token(NamedTuple):       # a tuple: a config of hundreds of lines makes thousands
    kind: str
    text: str
    line: int


def tokenize(text: str, source: str = "<config>") -> list[Token]:
    """Split a config file into tokens; whitespace is dropped, newlines and comments kept."""
    tokens: list[Token] = []
    pos, line = 0, 1
    end = len(text)
    while pos < end:
        m = _TOKEN.match(text, pos)
        if m is None:
            bad = text[pos:].split("\n", 1)[0]
            raise ParseError(f"{source}:{line}: cannot read {bad[:40]!r}: config files hold "
                             "only key = value with strings, numbers and lists (no Python "
                             "code); rewrite the line as a plain value")
        kind, word, pos = m.lastgroup or "", m.group(), m.end()
        if kind != "ws":
            tokens.append(Token(kind, word, line))
        if kind == "nl":
            line += 1
        elif "\n" in word:             # a continued line, a triple-quoted string
            line += word.count("\n")
    return tokens


def _unquote(tok: Token) -> str:
    body = tok.text[3:-3] if tok.kind == "str3" else tok.text[1:-1]
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), "\\" + m.group(1)), body,
                  flags=re.DOTALL)


class Parser:
    """Items of a config file from its tokens (``DomainConfig.parse`` runs it)."""

    def __init__(self, tokens: list[Token], source: str) -> None:
        self.toks, self.i, self.source = tokens, 0, source
        self.pending: list[Comment] = []   # comments met inside a value: moved before it

    def peek(self) -> Token | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def error(self, tok: Token | None, what: str) -> ParseError:
        where = f"{self.source}:{tok.line}" if tok else f"{self.source}: at end of file"
        got = excerpt(tok.text, 40) if tok else "end of file"
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

    def value(self, depth: int = 0) -> Value:
        self.skip_layout()
        tok = self.peek()
        if tok is None:
            raise self.error(tok, "a value")
        self.i += 1
        if tok.kind in ("str", "str3"):
            return _unquote(tok)
        if tok.kind == "num":
            return _number(tok, self.source)
        if tok.kind == "ident" and tok.text in ("True", "False"):
            return tok.text == "True"
        if tok.kind == "op" and tok.text == "[":
            if depth >= MAX_DEPTH:
                raise ParseError(f"{self.source}:{tok.line}: lists nested deeper than "
                                 f"{MAX_DEPTH}: a domU config nests two deep at most")
            items: list[Value] = []
            while True:
                self.skip_layout()
                nxt = self.peek()
                if nxt is not None and nxt.kind == "op" and nxt.text == "]":
                    self.i += 1
                    return items
                items.append(self.value(depth + 1))
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


def _number(tok: Token, source: str) -> int | float:
    text = tok.text
    value: int | float
    if len(text) > MAX_NUMBER:
        raise ParseError(f"{source}:{tok.line}: number {text[:20]}... has {len(text)} "
                         f"characters; no setting needs more than {MAX_NUMBER}")
    if re.fullmatch(r"[-+]?0[xX][0-9a-fA-F]+", text):
        value = int(text, 16)
    else:
        try:
            value = int(text)
        except ValueError:
            value = float(text)
    if isinstance(value, float) and not math.isfinite(value) or \
            isinstance(value, int) and abs(value) >= MAX_INT:
        raise ParseError(f"{source}:{tok.line}: number {text} is out of range (a setting "
                         "holds at most a 64-bit integer or a finite number)")
    return value
