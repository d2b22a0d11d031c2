"""A host's Xen side in one snapshot: domains, their live configs, ``xl info``, config files.

    >>> facts = read_xen(connect("lab"))                        # doctest: +SKIP
    >>> [d.name for d in facts.domains if d.running or d.blocked]  # doctest: +SKIP
    ['Domain-0', 'titanic', 'ns', 'web']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fxkit.errors import FxkitError, ParseError
from fxkit.privilege import become
from fxkit.xen.config import DomainConfig
from fxkit.xen.domains import CONFIG_DIR, Domain, DomainDetails, XenInfo
from fxkit.xen.toolstack import Toolstack

if TYPE_CHECKING:
    from fxkit.host import Host


@dataclass(frozen=True)
class XenFacts:
    """One snapshot of a host's Xen side: domains, live configs, host info, config files."""

    toolstack: str
    domains: list[Domain]
    details: list[DomainDetails]
    info: XenInfo | None
    configs: dict[str, DomainConfig] = field(default_factory=dict)
    config_errors: dict[str, str] = field(default_factory=dict)

    def domain(self, name: str) -> Domain | None:
        return next((d for d in self.domains if d.name == name), None)

    def config_for(self, name: str) -> tuple[str, DomainConfig] | None:
        """The config file defining domain ``name`` (by its ``name =`` setting)."""
        return next(((p, c) for p, c in sorted(self.configs.items()) if c.name == name), None)

    @property
    def domus(self) -> list[Domain]:
        return [d for d in self.domains if not d.is_dom0]

    @property
    def used_memory(self) -> int:
        return sum(d.memory for d in self.domains if d.alive)


def list_config_paths(host: Host, directory: str = CONFIG_DIR) -> list[str]:
    """The domain config files in ``directory``: ``*.cfg`` (not xl.conf and friends)."""
    r = host.run(["ls", "-1", directory], read_only=True, check=False)
    if r.exit_status != 0:
        return []
    return [f"{directory}/{n}" for n in sorted(r.stdout.split()) if n.endswith(".cfg")]


def read_configs(host: Host, directory: str = CONFIG_DIR
                 ) -> tuple[dict[str, DomainConfig], dict[str, str]]:
    configs: dict[str, DomainConfig] = {}
    errors: dict[str, str] = {}
    for path in list_config_paths(host, directory):
        try:
            configs[path] = DomainConfig.parse(host.read_file(path), path)
        except ParseError as e:
            errors[path] = str(e)
    return configs, errors


def read_xen(host: Host, tool: str = "xl", *, sudo: bool = False) -> XenFacts:
    """Domains (``list`` and ``list -l``), ``info`` and every ``/etc/xen/*.cfg``, typed.

    ``sudo=True`` (xl needs root) is ``host.sudo = True``: say it once with
    ``connect(target, sudo=True)``; every command of the host then goes through sudo.
    On a host without Xen, ``xl list`` raises ToolNotFound (``fxkit.layers`` makes that
    an absent layer).
    """
    become(host, sudo)
    ts = Toolstack(host, tool)
    configs, errors = read_configs(host)
    return XenFacts(tool, ts.list(), ts.list_long(), ts.info(), configs, errors)


def read_domain_names(host: Host, tool: str = "xl", *, sudo: bool = False) -> dict[int, str]:
    """{domid: name} of the domains ``host`` runs now (one ``xl list``); {} where the
    toolstack cannot answer (no Xen here): vifs are then known by domain id only."""
    try:
        become(host, sudo)
        return {d.id: d.name for d in Toolstack(host, tool).list()}
    except FxkitError:
        return {}
