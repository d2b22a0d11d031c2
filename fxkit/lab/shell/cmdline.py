"""The lab's tiny POSIX-shell subset, for command lines that arrive over SSH.

``ssh fx 'grep vif /etc/xen/*.cfg | head -n 2 > /tmp/vifs; cat /tmp/vifs'`` works:
quoting (``'..'``, ``".."``, ``\\``), ``;``, ``&&``, ``||``, ``|``, redirections
(``> >> < 2> 2>> 2>&1``, ``/dev/null``), ``VAR=value`` prefixes, shell variables
(``VG=lvm; lvs $VG``, ``"${VG}"``, ``$?``, ``$HOME``, ``export``) and glob expansion
over the lab's file tree. No command substitution, loops or background jobs: those
answer like a shell that refuses them (exit 2). fxkit itself sends one argv encoded by
``fxkit.transports.argv.command_line``: the lab's server decodes it and runs that argv,
without this parser.

This module parses and expands; ``script`` runs what it parses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from fxkit.lab.shell.base import CWD, ENV
from fxkit.lab.state import LabState
from fxkit.transports.argv import decode_command_line

_OPERATORS = ("2>>", "2>&1", "&&", "||", ">>", "2>", ";", "|", ">", "<", "&")
_OPERATOR_STARTS = frozenset(op[0] for op in _OPERATORS)
_UNSUPPORTED = "`(){}"
# A variable reference inside a word: QUOTED or SPLIT (unquoted), the name, END.
_QUOTED, _SPLIT, _END = "\x00", "\x02", "\x01"
_VARREF = re.compile(f"([{_QUOTED}{_SPLIT}])([^{_END}]*){_END}")
_NAME = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*|[?0-9])")


class ShellSyntaxError(Exception):
    pass


@dataclass
class Simple:
    argv: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    redirects: list[tuple[str, str]] = field(default_factory=list)  # (op, target)
    globs: list[bool] = field(default_factory=list)  # argv[i] has unquoted * ? [


def _variable(line: str, i: int, quoted: bool) -> tuple[str, int]:
    """The word text for a ``$`` at ``line[i]``, and where to continue."""
    if line.startswith("$(", i):
        raise ShellSyntaxError("`$(' command substitution is not supported by the lab")
    m = _NAME.match(line, i + 1)
    if not m:
        return "$", i + 1
    return (_QUOTED if quoted else _SPLIT) + (m.group(1) or m.group(2)) + _END, m.end()


def tokenize(line: str) -> list[tuple[str, str, bool]]:
    """Tokens as (kind, text, globbable): kind is "word" or "op"."""
    tokens: list[tuple[str, str, bool]] = []
    buf: list[str] = []
    in_word = glob = False
    i, n = 0, len(line)

    def flush() -> None:
        nonlocal in_word, glob
        if in_word:
            tokens.append(("word", "".join(buf), glob))
        buf.clear()
        in_word = glob = False

    while i < n:
        c = line[i]
        if c in " \t":
            flush()
            i += 1
        elif c == "\n":  # an unquoted newline ends a command, like ";"
            flush()
            if tokens and tokens[-1][:2] not in (("op", ";"), ("op", "&&"), ("op", "||"),
                                                 ("op", "|")):
                tokens.append(("op", ";", False))
            i += 1
        elif c == "'":
            end = line.find("'", i + 1)
            if end < 0:
                raise ShellSyntaxError("unexpected EOF while looking for matching `''")
            buf.append(line[i + 1:end])
            in_word, i = True, end + 1
        elif c == '"':
            i += 1
            in_word = True
            while i < n and line[i] != '"':
                if line[i] == "\\" and i + 1 < n and line[i + 1] in '"\\$`':
                    i += 1
                elif line[i] == "`":
                    raise ShellSyntaxError("``' command substitution is not supported by the lab")
                elif line[i] == "$":
                    text, i = _variable(line, i, quoted=True)
                    buf.append(text)
                    continue
                buf.append(line[i])
                i += 1
            if i >= n:
                raise ShellSyntaxError("unexpected EOF while looking for matching `\"'")
            i += 1
        elif c == "\\":
            if i + 1 < n:
                buf.append(line[i + 1])
            in_word, i = True, i + 2
        elif c == "#" and not in_word:
            end = line.find("\n", i)
            i = n if end < 0 else end
        else:
            op = next((o for o in _OPERATORS if line.startswith(o, i)), None) \
                if c in _OPERATOR_STARTS else None
            if op and op.startswith("2") and not (buf == [] and not in_word):
                op = None  # "a2>x" is the word a2 then ">"
            if op is None and c in "<>;|&":
                op = c
            if op:
                flush()
                tokens.append(("op", op, False))
                i += len(op)
            elif c == "$":
                text, i = _variable(line, i, quoted=False)
                buf.append(text)
                in_word = True
            elif c in _UNSUPPORTED:
                raise ShellSyntaxError(f"`{c}' is not supported by the lab's shell")
            else:
                buf.append(c)
                glob = glob or c in "*?["
                in_word, i = True, i + 1
    flush()
    return tokens


def parse(line: str) -> list[tuple[str, list[Simple]]]:
    """A list of (connector, pipeline); connector is "", ";", "&&" or "||"."""
    result: list[tuple[str, list[Simple]]] = []
    connector, pipeline, cmd = "", [], Simple()
    tokens = tokenize(line)
    i = 0
    while i < len(tokens):
        kind, text, globbable = tokens[i]
        if kind == "word":
            if not cmd.argv and "=" in text and text.split("=", 1)[0].isidentifier():
                name, value = text.split("=", 1)
                cmd.env[name] = value
            else:
                cmd.argv.append(text)
                cmd.globs.append(globbable)
        elif text in (">", ">>", "<", "2>", "2>>"):
            if i + 1 >= len(tokens) or tokens[i + 1][0] != "word":
                raise ShellSyntaxError("syntax error near unexpected token `newline'")
            cmd.redirects.append((text, tokens[i + 1][1]))
            i += 1
        elif text == "2>&1":
            cmd.redirects.append((text, ""))
        elif text == "&":
            raise ShellSyntaxError("background jobs (`&') are not supported by the lab")
        else:  # | ; && ||
            if not cmd.argv and not cmd.env:
                raise ShellSyntaxError(f"syntax error near unexpected token `{text}'")
            pipeline.append(cmd)
            cmd = Simple()
            if text != "|":
                result.append((connector, pipeline))
                connector, pipeline = text, []
        i += 1
    if cmd.argv or cmd.env or cmd.redirects:
        pipeline.append(cmd)
    elif pipeline or connector in ("&&", "||"):
        raise ShellSyntaxError("syntax error: unexpected end of file")
    if pipeline:
        result.append((connector, pipeline))
    return result


def first_argv(line: str) -> list[str]:
    """The words of the first command of ``line`` (what faults are matched against)."""
    if (argv := decode_command_line(line)) is not None:
        return argv
    try:
        for _, pipeline in parse(line):
            for cmd in pipeline:
                if cmd.argv:
                    shell_vars = initial_vars(None)
                    return [w for word in cmd.argv for w in expand(word, shell_vars)]
    except ShellSyntaxError:
        pass
    return line.split()


def initial_vars(state: LabState | None) -> dict[str, str]:
    """The shell variables a command line starts with (``$HOME``, ``$HOSTNAME``, ``$?``...)."""
    return {**ENV, "HOSTNAME": state.hostname if state else "fx", "?": "0", "0": "bash"}


def expand(word: str, shell_vars: dict[str, str]) -> list[str]:
    """A word with its variables substituted; an unquoted lone ``$X`` splits on blanks."""
    def value(name: str) -> str:
        return CWD.get() if name == "PWD" else shell_vars.get(name, "")
    if (m := _VARREF.fullmatch(word)) and m.group(1) == _SPLIT:
        return value(m.group(2)).split()
    return [_VARREF.sub(lambda m: value(m.group(2)), word)]


# Commands that read stdin when given no file operand (operands counted after options).
_STDIN_READERS = {"cat": 0, "tee": None, "grep": 1, "egrep": 1, "fgrep": 1, "head": 0,
                  "tail": 0, "wc": 0, "sort": 0, "bash": None, "sh": None}


def reads_stdin(line: str) -> bool:
    """Whether the first command of ``line`` reads the request's stdin (so wait for it)."""
    if (argv := decode_command_line(line)) is not None:     # fxkit's SSH transport
        return argv_reads_stdin(argv)
    try:
        program = parse(line)
    except ShellSyntaxError:
        return False
    if not program or not program[0][1]:
        return False
    cmd = program[0][1][0]
    return not any(op == "<" for op, _ in cmd.redirects) and argv_reads_stdin(cmd.argv)


def argv_reads_stdin(argv: list[str]) -> bool:
    """Whether the command ``argv``, its stdin not redirected, reads it."""
    if not argv:
        return False
    name, args = argv[0].rsplit("/", 1)[-1], argv[1:]
    if name == "sudo":
        return argv_reads_stdin([a for a in args if not a.startswith("-")])
    if name not in _STDIN_READERS:
        return False
    if name in ("bash", "sh"):
        return "-c" not in args
    if name == "tee":
        return True
    operands = [a for a in args if a == "-" or not a.startswith("-")]
    if name in ("head", "tail") and "-n" in args:
        operands = operands[1:]
    return "-" in operands or len(operands) <= (_STDIN_READERS[name] or 0)
