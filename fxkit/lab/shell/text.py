"""Text filters a trainee pipes lab output into: grep head tail wc sort.

Over SSH the lab's shell runs pipelines (``xl list | grep titanic``); these read
their operands from the lab's file tree or from stdin, with GNU messages.
"""

from __future__ import annotations

import re

from fxkit.lab.shell.base import Call, Output, absolute
from fxkit.lab.shell.files import kind, state_read
from fxkit.lab.shell.headtail import head_tail

__all__ = ["grep", "head_tail", "sort", "wc"]


def _inputs(call: Call, tool: str, names: list[str]) -> tuple[list[tuple[str, str]], str, int]:
    """(label, text) per operand; stdin when there is none; errors as tool prints them."""
    if not names:
        return [("(standard input)", call.stdin)], "", 0
    found, err, status = [], [], 0
    for name in names:
        if name == "-":
            found.append(("(standard input)", call.stdin))
            continue
        text = state_read(call.state, absolute(name))
        if text is None:
            status = 2 if tool in ("grep", "sort") else 1
            why = ("Is a directory" if kind(call.state, absolute(name)) == "dir"
                   else "No such file or directory")
            if tool in ("head", "tail"):
                err.append(f"{tool}: cannot open '{name}' for reading: {why}\n")
            elif tool == "sort":  # sort stops at the first unreadable file
                return [], f"sort: cannot read: {name}: {why}\n", 2
            else:
                err.append(f"{tool}: {name}: {why}\n")
            continue
        found.append((name, text))
    return found, "".join(err), status


def _bre(pattern: str) -> str:
    """A POSIX basic regular expression as a Python one (the common subset)."""
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            n = pattern[i + 1]
            out.append(n if n in "(){}|+?" else "\\" + n)
            i += 2
            continue
        out.append("\\" + c if c in "(){}|+?" else c)
        i += 1
    return "".join(out)


def grep(call: Call) -> Output:
    opts, rest = set(), []
    mode = {"egrep": "E", "fgrep": "F"}.get(call.argv[0], "G")
    pattern: str | None = None
    args = list(call.args)
    while args:
        a = args.pop(0)
        if a == "-e" and args:
            pattern = args.pop(0)
        elif a.startswith("-") and len(a) > 1 and not rest:
            for ch in a[1:]:
                if ch in "EFG":
                    mode = ch
                elif ch in "ivcnqlhw":
                    opts.add(ch)
                else:
                    return 2, "", (f"grep: invalid option -- '{ch}'\nUsage: grep [OPTION]... "
                                   "PATTERNS [FILE]...\nTry 'grep --help' for more information.\n")
        else:
            rest.append(a)
    if pattern is None:
        if not rest:
            return 2, "", ("Usage: grep [OPTION]... PATTERNS [FILE]...\n"
                           "Try 'grep --help' for more information.\n")
        pattern = rest.pop(0)
    expr = re.escape(pattern) if mode == "F" else (pattern if mode == "E" else _bre(pattern))
    if "w" in opts:
        expr = rf"\b(?:{expr})\b"
    try:
        rx = re.compile(expr, re.IGNORECASE if "i" in opts else 0)
    except re.error:
        return 2, "", "grep: Unmatched ( or \\(\n"
    inputs, err, status = _inputs(call, "grep", rest)
    out, matched = [], False
    for label, text in inputs:
        prefix = f"{label}:" if len(rest) > 1 and "h" not in opts else ""
        hits = [(n, line) for n, line in enumerate(text.splitlines(), 1)
                if bool(rx.search(line)) != ("v" in opts)]
        matched = matched or bool(hits)
        if "l" in opts:
            out.extend(f"{label}\n" for _ in hits[:1])
        elif "c" in opts:
            out.append(f"{prefix}{len(hits)}\n")
        else:
            out.extend(f"{prefix}{f'{n}:' if 'n' in opts else ''}{line}\n" for n, line in hits)
    if "q" in opts:
        return (0 if matched else (status or 1)), "", err
    return (status if status else (0 if matched else 1)), "".join(out), err


def wc(call: Call) -> Output:
    flags = {ch for a in call.args if a.startswith("-") for ch in a[1:]} or {"l", "w", "c"}
    names = [a for a in call.args if not a.startswith("-")]
    inputs, err, status = _inputs(call, "wc", names)
    rows = []
    for label, text in inputs:
        counts = {"l": text.count("\n"), "w": len(text.split()), "c": len(text.encode())}
        rows.append(([counts[k] for k in "lwc" if k in flags], label if names else ""))
    if len(rows) > 1:
        rows.append(([sum(r[0][i] for r in rows) for i in range(len(rows[0][0]))], "total"))
    # coreutils' compute_number_width: digits of the files' total size, at least 7
    # when reading a pipe; one count of one input is not padded.
    width = 1
    if not (len(flags) == 1 and len(inputs) == 1):
        piped = any(label == "(standard input)" for label, _ in inputs)
        total = sum(len(text.encode()) for label, text in inputs
                    if label != "(standard input)")
        width = max(len(str(total)), 7 if piped else 1)
    out = "".join(" ".join(f"{v:>{width}}" for v in vals) + (f" {label}" if label else "") + "\n"
                  for vals, label in rows)
    return status, out, err


def sort(call: Call) -> Output:
    opts = {ch for a in call.args if a.startswith("-") for ch in a[1:]}
    names = [a for a in call.args if not a.startswith("-")]
    inputs, err, status = _inputs(call, "sort", names)
    lines = [line for _, text in inputs for line in text.splitlines()]
    key = (lambda s: (float(m.group()) if (m := re.match(r"\s*-?\d+(\.\d+)?", s)) else 0.0)) \
        if "n" in opts else None
    lines = sorted(lines, key=key, reverse="r" in opts)  # type: ignore[arg-type]
    if "u" in opts:
        lines = list(dict.fromkeys(lines))
    return status, "".join(f"{line}\n" for line in lines), err
