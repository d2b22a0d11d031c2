"""Ansible's host patterns (``--limit``): groups, hosts, ``:``/``,``, ``&``, ``!``, wildcards.

    >>> select(inv, "dom0s:!fx07")           # doctest: +SKIP
    ['fx01', 'fx02', ...]

As in Ansible, plain terms are joined first, then ``&term`` intersects and ``!term``
removes, whatever their order in the pattern. A term is ``all`` or ``*``, a group, a
host, a wildcard (``fx0*``, matched against groups and hosts), ``~regex``, or a group
with a subscript (``dom0s[0]``, ``dom0s[2:5]``). Hosts come back in inventory order.
"""

from __future__ import annotations

import fnmatch
import re
from typing import TYPE_CHECKING

from fxkit.errors import InvalidRequest

if TYPE_CHECKING:
    from fxkit.fleet.inventory import Inventory

_SUBSCRIPT = re.compile(r"^(.+)\[(-?\d*)(?::(-?\d*))?\]\Z")


def split_pattern(pattern: str) -> list[str]:
    """Terms of a pattern: split on ``,``, else on ``:`` (a ``:`` inside [...] stays)."""
    if "," in pattern:
        return [t.strip() for t in pattern.split(",") if t.strip()]
    terms, depth, cur = [], 0, ""
    for ch in pattern:
        depth += ch == "["
        depth -= ch == "]"
        if ch == ":" and depth == 0:
            terms.append(cur)
            cur = ""
        else:
            cur += ch
    terms.append(cur)
    return [t.strip() for t in terms if t.strip()]


def match_term(inv: Inventory, term: str) -> list[str]:
    """The hosts one term (without its ``&``/``!``) names; [] if none."""
    if term in ("all", "*"):
        return list(inv.hosts)
    if term in inv.groups:
        return inv.hosts_in(term)
    if term in inv.hosts:
        return [term]
    if m := _SUBSCRIPT.match(term):
        base = match_term(inv, m.group(1))
        start = int(m.group(2) or 0)
        if m.group(3) is None:
            return base[start:start + 1] if -len(base) <= start < len(base) else []
        end = int(m.group(3)) + 1 if m.group(3) else len(base)
        return base[start:end]
    if term.startswith("~"):
        try:
            rx = re.compile(term[1:])
        except re.error as e:
            raise InvalidRequest(f"host pattern {term!r}: bad regular expression ({e})") from None
        names = [g for g in inv.groups if rx.match(g)] + [h for h in inv.hosts if rx.match(h)]
    elif any(c in term for c in "*?["):
        names = fnmatch.filter(inv.groups, term) + fnmatch.filter(inv.hosts, term)
    else:
        return []
    found: set[str] = set()
    for name in names:
        found.update(inv.hosts_in(name) if name in inv.groups else [name])
    return [h for h in inv.hosts if h in found]


def select(inv: Inventory, pattern: str | None) -> list[str]:
    """The hosts ``pattern`` selects (all when None), in inventory order.

    A term that matches nothing is an error naming it (Ansible only warns; a typo in a
    --limit that silently drops hosts is worse for a change)."""
    if not pattern or not pattern.strip():
        return list(inv.hosts)
    terms = split_pattern(pattern)
    plain = [t for t in terms if not t.startswith(("&", "!"))]
    wanted: set[str] = set()
    for t in plain or ["all"]:
        wanted.update(_must(inv, t, pattern))
    for t in terms:
        if t.startswith("&"):
            wanted &= set(_must(inv, t[1:], pattern))
    for t in terms:
        if t.startswith("!"):
            wanted -= set(_must(inv, t[1:], pattern))
    return [h for h in inv.hosts if h in wanted]


def _must(inv: Inventory, term: str, pattern: str) -> list[str]:
    hosts = match_term(inv, term)
    if not hosts:
        groups = ", ".join(g for g in inv.groups if g not in ("all", "ungrouped")) or "none"
        raise InvalidRequest(f"host pattern {pattern!r}: {term!r} matches no host or group of "
                             f"{inv.source} (groups: {groups}; hosts: "
                             f"{', '.join(list(inv.hosts)[:10]) or 'none'}...)")
    return hosts
