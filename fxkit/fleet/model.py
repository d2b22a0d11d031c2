"""An Ansible inventory in memory: groups with children and vars, hosts with their vars.

Variables follow Ansible's precedence: ``all`` < parent groups < child groups (deeper
wins; same depth: ``ansible_group_priority``, then the group name) < the host's own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fxkit.errors import InvalidRequest


@dataclass
class Group:
    """One inventory group: its own hosts, child groups and variables."""

    name: str
    hosts: list[str] = field(default_factory=list)
    children: list[str] = field(default_factory=list)
    vars: dict[str, Any] = field(default_factory=dict)


@dataclass
class Inventory:
    """Hosts (in inventory order) with their own variables, and groups."""

    source: str = ""
    hosts: dict[str, dict[str, Any]] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)

    def group(self, name: str) -> Group:
        return self.groups.setdefault(name, Group(name))

    def add_host(self, name: str, group: str | None, hvars: dict[str, Any] | None = None) -> None:
        self.hosts.setdefault(name, {}).update(hvars or {})
        if group is not None and name not in self.group(group).hosts:
            self.group(group).hosts.append(name)

    def finish(self) -> Inventory:
        """Add Ansible's implicit groups: ``all`` (parent of every top group) and ``ungrouped``."""
        self.group("all")
        self.group("ungrouped")
        children = {c for g in self.groups.values() for c in g.children}
        for name in self.groups:
            if name != "all" and name not in children and name not in self.groups["all"].children:
                self.groups["all"].children.append(name)
        grouped = {h for n, g in self.groups.items() if n not in ("all", "ungrouped")
                   for h in g.hosts}
        for h in self.hosts:
            if h not in grouped and h not in self.groups["ungrouped"].hosts:
                self.groups["ungrouped"].hosts.append(h)
        self.groups["all"].hosts = [h for h in self.groups["all"].hosts
                                    if h not in self.groups["ungrouped"].hosts]
        return self

    def hosts_in(self, group: str) -> list[str]:
        """Hosts of ``group`` and of its children, in inventory order."""
        seen: set[str] = set()
        todo, members = [group], set()
        while todo:
            name = todo.pop()
            if name in seen or name not in self.groups:
                continue
            seen.add(name)
            members.update(self.groups[name].hosts)
            todo += self.groups[name].children
        if group == "all":
            members = set(self.hosts)
        return [h for h in self.hosts if h in members]

    def groups_of(self, host: str) -> dict[str, int]:
        """The groups holding ``host`` (directly or through children) -> their depth."""
        depth: dict[str, int] = {"all": 0}
        todo = [("all", 0)]
        while todo:
            name, d = todo.pop()
            for child in self.groups.get(name, Group(name)).children:
                if depth.get(child, -1) < d + 1:
                    depth[child] = d + 1
                    todo.append((child, d + 1))
        return {g: d for g, d in depth.items() if host in self.hosts_in(g)}

    def host_vars(self, host: str) -> dict[str, Any]:
        """``host``'s variables merged as Ansible merges them."""
        if host not in self.hosts:
            raise InvalidRequest(f"host {host!r} is not in the inventory {self.source}: "
                                 f"its hosts are {', '.join(self.hosts) or 'none'}")
        merged: dict[str, Any] = {}

        def key(item: tuple[str, int]) -> tuple[int, int, str]:
            name, depth = item
            prio = self.groups[name].vars.get("ansible_group_priority", 1)
            return depth, int(prio) if str(prio).lstrip("-").isdigit() else 1, name
        for name, _ in sorted(self.groups_of(host).items(), key=key):
            merged.update(self.groups[name].vars)
        merged.pop("ansible_group_priority", None)   # Ansible consumes it, never shows it
        merged.update(self.hosts[host])
        return merged

    def to_list_json(self) -> dict[str, Any]:
        """The shape ``ansible-inventory --list`` prints (to compare fxkit's reading)."""
        out: dict[str, Any] = {"_meta": {"hostvars": {h: self.host_vars(h) for h in self.hosts
                                                      if self.host_vars(h)}}}
        for name, g in self.groups.items():
            body: dict[str, Any] = {}
            if g.hosts:
                body["hosts"] = list(g.hosts)
            if g.children:
                body["children"] = list(g.children)
            if body or name == "all":
                out[name] = body
        return out
