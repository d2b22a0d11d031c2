"""Ansible's INI and YAML inventory formats, parsed as Ansible parses them.

Each parser returns a function that fills an ``Inventory``, or None when the text is
not in its format (a YAML inventory plugin's config, say): then ``ansible-inventory``
reads it. Malformed text is a ``ParseError`` naming the line.
"""

from __future__ import annotations

import ast
import re
import shlex
import string
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fxkit.errors import ParseError

if TYPE_CHECKING:
    from fxkit.fleet.model import Inventory

Filler = Callable[["Inventory"], None]
_SECTION = re.compile(r"^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:[#;].*)?\Z")
_RANGE = re.compile(r"\[([0-9a-zA-Z]+):([0-9a-zA-Z]+)(?::(\d+))?\]")


def literal(text: str) -> Any:
    """An INI value as Ansible reads it: a Python literal if it is one, else the text."""
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return text
    if value is ... or isinstance(value, (complex, bytes)):
        return text
    return value


def expand(pattern: str, where: str) -> list[str]:
    """``web[01:03]`` -> web01, web02, web03 (letters and a stride too), as Ansible does."""
    m = _RANGE.search(pattern)
    if not m:
        return [pattern]
    lo, hi, stride = m.group(1), m.group(2), int(m.group(3) or 1)
    head, tail = pattern[:m.start()], pattern[m.end():]
    if lo.isdigit() and hi.isdigit():
        width = len(lo) if lo.startswith("0") else 0
        items = [str(n).zfill(width) for n in range(int(lo), int(hi) + 1, stride)]
    elif len(lo) == len(hi) == 1 and lo in string.ascii_letters and hi in string.ascii_letters:
        items = [chr(c) for c in range(ord(lo), ord(hi) + 1, stride)]
    else:
        raise ParseError(f"{where}: host range [{lo}:{hi}] mixes letters and numbers or "
                         "uses several letters: write [01:20] or [a:f]")
    if not items:
        raise ParseError(f"{where}: host range [{lo}:{hi}] is empty (its start is after its end)")
    return [name for item in items for name in expand(head + item + tail, where)]


def _host_pattern(token: str, where: str) -> tuple[list[str], int | None]:
    """Names and port of ``host``, ``host:port``, ``web[01:20]:22`` (an IPv6 address, with
    several colons outside brackets, has no port)."""
    depth, outside = 0, []
    for i, ch in enumerate(token):
        depth += ch == "["
        depth -= ch == "]"
        if ch == ":" and depth == 0:
            outside.append(i)
    port = None
    if len(outside) == 1:
        head, tail = token[:outside[0]], token[outside[0] + 1:]
        if not tail.isdigit():
            raise ParseError(f"{where}: host {token!r}: what follows ':' must be a port")
        token, port = head, int(tail)
    return expand(token, where), port


def parse_ini(text: str, source: str) -> Filler | None:
    """Ansible's INI format: [group], [group:vars], [group:children], host ranges, host:port."""
    if text.lstrip().startswith(("---", "{")):
        return None
    actions: list[Callable[[Inventory], None]] = []
    declared: set[str] = set()
    pending: dict[str, str] = {}          # group used before it is declared -> where
    group, state = "ungrouped", "hosts"
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        where = f"{source}:{n}"
        if not line or line[0] in "#;":
            continue
        if m := _SECTION.match(line):
            group, state = m.group(1), m.group(2) or "hosts"
            if state not in ("hosts", "children", "vars"):
                raise ParseError(f"{where}: section [{group}:{state}] has an unknown type "
                                 "(hosts, children or vars)")
            if state != "vars":
                declared.add(group)
            elif group not in declared:
                pending.setdefault(group, f"{where}: [{group}:vars] is for an undefined group")
            actions.append(lambda inv, g=group: inv.group(g) and None)
            continue
        if line.startswith("["):
            raise ParseError(f"{where}: invalid section {line!r} (no spaces inside [...])")
        if state == "hosts":
            try:
                tokens = shlex.split(line, comments=True)
            except ValueError as e:
                raise ParseError(f"{where}: host line {line!r}: {e}") from None
            names, port = _host_pattern(tokens[0], where)
            hvars: dict[str, Any] = {}
            for tok in tokens[1:]:
                if "=" not in tok:
                    raise ParseError(f"{where}: expected key=value after the host, got {tok!r}")
                k, v = tok.split("=", 1)
                hvars[k] = literal(v)
            if port is not None:
                hvars["ansible_port"] = port
            for name in names:
                actions.append(lambda inv, h=name, g=group, v=dict(hvars): inv.add_host(h, g, v))
        elif state == "vars":
            if "=" not in line:
                raise ParseError(f"{where}: expected key=value, got {line!r}")
            k, v = (e.strip() for e in line.split("=", 1))
            actions.append(lambda inv, g=group, k=k, v=literal(v): inv.group(g).vars.update({k: v}))
        else:
            child = line.split()[0]
            pending.setdefault(child, f"{where}: [{group}:children] includes undefined "
                                      f"group {child!r}")

            def add_child(inv: Inventory, g: str = group, c: str = child) -> None:
                inv.group(c)
                if c not in inv.group(g).children:
                    inv.group(g).children.append(c)
            actions.append(add_child)
    for name, problem in pending.items():
        if name not in declared:
            raise ParseError(problem)

    def fill(inv: Inventory) -> None:
        for act in actions:
            act(inv)
    return fill


def parse_yaml(text: str, source: str) -> Filler | None:
    """Ansible's YAML format (``all: {hosts, children, vars}``); None for a plugin config."""
    import yaml
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise ParseError(f"{source}: not valid YAML: {e}") from None
    if data is None:
        return lambda inv: None
    if not isinstance(data, dict):
        raise ParseError(f"{source}: a YAML inventory is a mapping of group names")
    if "plugin" in data:
        return None

    def group(inv: Inventory, name: str, body: Any, where: str) -> None:
        g = inv.group(str(name))
        if body is None:
            return
        if not isinstance(body, dict):
            raise ParseError(f"{where}: group {name!r} must be a mapping (hosts, children, "
                             f"vars), not {type(body).__name__}")
        for key in body:
            if key not in ("hosts", "children", "vars"):
                raise ParseError(f"{where}: group {name!r} has unknown key {key!r} "
                                 "(hosts, children or vars)")
        hosts = body.get("hosts") or {}
        if not isinstance(hosts, dict):
            raise ParseError(f"{where}: {name}.hosts must be a mapping of host names")
        for pattern, hvars in hosts.items():
            hostnames, port = _host_pattern(str(pattern), where)
            hv = dict(hvars or {})
            if port is not None:
                hv["ansible_port"] = port
            for h in hostnames:
                inv.add_host(h, str(name), hv)
        g.vars.update(body.get("vars") or {})
        for child, cbody in (body.get("children") or {}).items():
            if str(child) not in g.children:
                g.children.append(str(child))
            group(inv, child, cbody, where)

    def fill(inv: Inventory) -> None:
        for name, body in data.items():
            group(inv, name, body, source)
    return fill
