"""``head`` and ``tail`` as GNU coreutils 9 answer: -n/-c counts (``+N``, ``-N``), -q/-v
headers, ``--``, and the ``==> NAME <==`` header between files that fxkit reads many
config files with (``fxkit.xen.config_files``).

Headers are printed when there is more than one file operand (or with -v), whether or
not each one could be opened; a newline comes before every header but the first printed.
A directory gets its header, then "error reading"; a missing file only an error.
"""

from __future__ import annotations

import re

from fxkit.lab.shell.base import Call, Output, absolute
from fxkit.lab.shell.files import kind, state_read

_LONG = {"--bytes": "c", "--lines": "n", "--quiet": "q", "--silent": "q", "--verbose": "v"}
_NUMBER = re.compile(r"([-+]?)([0-9]+)\Z")


class _Usage(Exception):
    def __init__(self, message: str) -> None:
        self.message = message


def _options(tool: str, args: list[str]) -> tuple[str, str, str | None, list[str]]:
    """(unit "n" or "c", count text, header mode "q"/"v"/None, operands), like getopt."""
    unit, count, headers, names = "n", "10", None, []
    if args and re.fullmatch(r"[-+][0-9]+", args[0]) and (tool == "tail" or args[0][0] == "-"):
        count = args[0] if tool == "tail" and args[0][0] == "+" else args[0][1:]
        args = args[1:]                                   # obsolete head -5 / tail +5
    i = 0
    while i < len(args):
        a = args[i]
        i += 1
        if a == "--":
            names.extend(args[i:])
            break
        if a.startswith("--") and len(a) > 2:
            key, eq, value = a.partition("=")
            opt = _LONG.get(key)
            if opt is None:
                raise _Usage(f"{tool}: unrecognized option '{a}'\n")
            if opt in "cn":
                if not eq:
                    if i >= len(args):
                        raise _Usage(f"{tool}: option '{key}' requires an argument\n")
                    value, i = args[i], i + 1
                unit, count = opt, value
            else:
                headers = opt
            continue
        if not a.startswith("-") or a == "-":
            names.append(a)
            continue
        j = 1
        while j < len(a):
            ch = a[j]
            j += 1
            if ch in "qv":
                headers = ch
            elif ch in "cn":
                value = a[j:]
                if not value:
                    if i >= len(args):
                        raise _Usage(f"{tool}: option requires an argument -- '{ch}'\n")
                    value, i = args[i], i + 1
                unit, count = ch, value
                break
            else:
                raise _Usage(f"{tool}: invalid option -- '{ch}'\n")
    return unit, count, headers, names


def _cut(tool: str, text: str, unit: str, sign: str, n: int) -> str:
    if unit == "c":
        data = text.encode("utf-8", "surrogateescape")
        if tool == "head":
            part = data[:-n] if sign == "-" else data[:n]
        else:
            part = data[n - 1:] if sign == "+" else data[len(data) - n:] if n else b""
        return part.decode("utf-8", "replace") if n or sign == "+" or tool == "head" else ""
    lines = text.splitlines(keepends=True)
    if tool == "head":
        return "".join(lines[:-n] if sign == "-" else lines[:n])
    if sign == "+":
        return "".join(lines[max(n - 1, 0):])
    return "".join(lines[len(lines) - n:]) if n else ""


def head_tail(call: Call) -> Output:
    tool = call.argv[0]
    try:
        unit, count, headers, names = _options(tool, list(call.args))
    except _Usage as e:
        return 1, "", f"{e.message}Try '{tool} --help' for more information.\n"
    m = _NUMBER.match(count)
    if m is None:
        what = "bytes" if unit == "c" else "lines"
        return 1, "", f"{tool}: invalid number of {what}: '{count}'\n"
    sign, n = m.group(1), int(m.group(2))
    operands = names or ["-"]
    show = headers == "v" or (headers is None and len(operands) > 1)
    out: list[str] = []
    err: list[str] = []
    status = 0
    printed = False
    for name in operands:
        label = "standard input" if name == "-" else name
        text = call.stdin if name == "-" else state_read(call.state, absolute(name))
        is_dir = name != "-" and kind(call.state, absolute(name)) == "dir"
        if text is None and not is_dir:
            err.append(f"{tool}: cannot open '{name}' for reading: No such file or directory\n")
            status = 1
            continue
        if show:
            out.append(("\n" if printed else "") + f"==> {label} <==\n")
            printed = True
        if is_dir:
            err.append(f"{tool}: error reading '{name}': Is a directory\n")
            status = 1
            continue
        out.append(_cut(tool, text or "", unit, sign, n))
    return status, "".join(out), "".join(err)
