"""A host's Xen side in one snapshot: domains, their live configs, ``xl info``, config files.

    >>> facts = read_xen(connect("lab"))                        # doctest: +SKIP
    >>> [d.name for d in facts.domains if d.running or d.blocked]  # doctest: +SKIP
    ['Domain-0', 'titanic', 'ns', 'web']
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fxkit.errors import FxkitError, ParseError
from fxkit.privilege import become
from fxkit.xen import config_files
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
    # the text of each config with a problem: which LVs it names is still worth knowing
    problem_texts: dict[str, str] = field(default_factory=dict)

    def domain(self, name: str) -> Domain | None:
        return next((d for d in self.domains if d.name == name), None)

    def config_for(self, name: str) -> tuple[str, DomainConfig] | None:
        """The config file defining domain ``name`` (by its ``name =`` setting)."""
        return next(((p, c) for p, c in sorted(self.configs.items()) if c.name == name), None)

    @property
    def sound_configs(self) -> dict[str, DomainConfig]:
        """The configs with no problem in ``config_errors``: every setting fxkit reads
        from them is usable (checks that read disks, vifs or memory iterate these)."""
        return {p: c for p, c in self.configs.items() if p not in self.config_errors}

    @property
    def domus(self) -> list[Domain]:
        return [d for d in self.domains if not d.is_dom0]

    @property
    def used_memory(self) -> int:
        return sum(d.memory for d in self.domains if d.alive)


def list_config_paths(host: Host, directory: str = CONFIG_DIR) -> list[str]:
    """The domain config files in ``directory``: ``*.cfg`` (not xl.conf and friends), one
    per line of ``ls -1`` (a name with spaces is one name)."""
    return config_files.list_config_paths(host, directory)[0]


def parse_configs(texts: Mapping[str, str]) -> tuple[dict[str, DomainConfig], dict[str, str]]:
    """Parse config texts (path -> text). A config that does not parse is an error, not a
    config; one that parses but has no name, a bad number, disk or vif line is both (its
    raw lines still show which LVs it names: ``fxkit.xen.storage``). Never raises."""
    configs: dict[str, DomainConfig] = {}
    errors: dict[str, str] = {}
    for path, text in texts.items():
        try:
            if "\ufffd" in text:
                raise ParseError(f"{path} is not UTF-8 text (it holds bytes that are not, or "
                                 "U+FFFD): fxkit reads and writes configs as UTF-8; convert "
                                 "it with iconv -t UTF-8")
            cfg = configs[path] = DomainConfig.parse(text, path)
            cfg.check()
        except ParseError as e:
            errors[path] = str(e)
    return configs, errors


def read_config_texts(host: Host, directory: str = CONFIG_DIR
                      ) -> tuple[dict[str, str], dict[str, str]]:
    """({path: text}, {path: why not}) for every config in ``directory``: one ``ls`` and
    one ``head`` per few hundred files (``fxkit.xen.config_files``)."""
    paths, note = config_files.list_config_paths(host, directory)
    texts, errors = config_files.read_config_texts(host, paths)
    if note:
        errors[directory] = note
    return texts, errors


def read_configs(host: Host, directory: str = CONFIG_DIR
                 ) -> tuple[dict[str, DomainConfig], dict[str, str]]:
    """Every domU config in ``directory``, parsed, and {path: problem} for the ones that
    cannot be read or used (a finding for that domU only: the others are all here)."""
    configs, errors, _ = read_config_set(host, directory)
    return configs, errors


def read_config_set(host: Host, directory: str = CONFIG_DIR
                    ) -> tuple[dict[str, DomainConfig], dict[str, str], dict[str, str]]:
    """``read_configs`` plus the text of each config with a problem (path -> text)."""
    texts, errors = read_config_texts(host, directory)
    configs, problems = parse_configs(texts)
    return configs, {**errors, **problems}, {p: texts[p] for p in problems}


def read_xen(host: Host, tool: str = "xl", *, sudo: bool = False) -> XenFacts:
    """Domains (``list`` and ``list -l``), ``info`` and every ``/etc/xen/*.cfg``, typed.

    ``sudo=True`` (xl needs root) is ``host.sudo = True``: say it once with
    ``connect(target, sudo=True)``; every command of the host then goes through sudo.
    On a host without Xen, ``xl list`` raises ToolNotFound (``fxkit.layers`` makes that
    an absent layer).
    """
    become(host, sudo)
    configs, errors, texts = read_config_set(host)
    domains, details, info = Toolstack(host, tool).read()
    return XenFacts(tool, domains, details, info, configs, errors, texts)


def read_domain_names(host: Host, tool: str = "xl", *, sudo: bool = False) -> dict[int, str]:
    """{domid: name} of the domains ``host`` runs now (one ``xl list``); {} where the
    toolstack cannot answer (no Xen here): vifs are then known by domain id only."""
    try:
        become(host, sudo)
        return {d.id: d.name for d in Toolstack(host, tool).list()}
    except FxkitError:
        return {}
