"""Xen domains: parse ``xl``/``xm`` output, drive the toolstack, read a host's Xen facts.

Parsers are pure (text in, dataclasses out); ``Toolstack`` runs ``xl`` (the
default) or ``xm`` on a Host; ``read_xen`` takes one snapshot::

    >>> facts = read_xen(connect("lab"))                        # doctest: +SKIP
    >>> [d.name for d in facts.domains if d.running or d.blocked]  # doctest: +SKIP
    ['Domain-0', 'titanic', 'ns', 'web']

Formats follow the printf calls of Xen's ``tools/xl/xl_list.c`` (list, incl.
the two TABs of its header), ``xl_info.c`` and ``xl_vcpu.c``; xm's list is
xend's ``"%-40s %5s %5d %5d %10s %8.1f"`` (``tools/python/xen/xm/main.py``).
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fxkit.errors import (
    CommandFailed,
    ConfirmationRequired,
    InvalidRequest,
    ParseError,
    PreconditionFailed,
)
from fxkit.polling import wait_until
from fxkit.xen_config import DomainConfig
from fxkit.xen_macs import XEN_OUI, duplicate_macs, normalize_mac, stable_mac
from fxkit.xen_specs import DiskSpec, VifSpec

if TYPE_CHECKING:
    from fxkit.host import Host, Result

__all__ = ["Domain", "DomainDetails", "XenInfo", "VcpuInfo", "XenFacts", "Toolstack",
           "parse_list", "parse_list_long", "parse_info", "parse_vcpu_list", "read_xen",
           "stable_mac", "duplicate_macs", "normalize_mac", "XEN_OUI", "CONFIG_DIR"]

CONFIG_DIR = "/etc/xen"
# xl_list.c: running, blocked, paused, shutdown, shutdown reason ("-rscw"), dying.
_REASONS = {"r": "rebooting", "s": "suspended", "c": "crashed", "w": "watchdog"}
# What xl 4.17 and Debian's xen-utils wrapper print without a hypervisor (fixtures/xen/real/).
_NO_HYPERVISOR = ("cannot init xl context", "Can't find hypervisor information")
_ROW = re.compile(r"^(?P<name>\S+)\s+(?P<id>\d+)\s+(?P<mem>\d+)\s+(?P<vcpus>\d+)\s+"
                  r"(?P<state>[-rbpscdw]{6})\s+(?P<time>\d+(?:\.\d+)?)"
                  r"(?:\s+(?P<uuid>[0-9a-f]{8}-[0-9a-f-]{27}))?")


@dataclass(frozen=True)
class Domain:
    """A line of ``xl list``/``xm list``: memory in MiB, cpu time in seconds."""

    name: str
    id: int
    memory: int
    vcpus: int
    state: str
    cpu_seconds: float
    uuid: str | None = None

    @property
    def flags(self) -> tuple[str, ...]:
        """The state letters decoded: ('running',), ('blocked',), ('shutdown', 'crashed')..."""
        s = self.state
        words = ("running", "blocked", "paused", "shutdown")
        out = [word for letter, word in zip(s[:4], words, strict=False) if letter != "-"]
        if len(s) > 4 and s[4] != "-":
            out.append(_REASONS.get(s[4], "unknown-reason"))
        if len(s) > 5 and s[5] == "d":
            out.append("dying")
        return tuple(out)

    @property
    def running(self) -> bool:
        return self.state[:1] == "r"

    @property
    def blocked(self) -> bool:
        return self.state[1:2] == "b"

    @property
    def paused(self) -> bool:
        return self.state[2:3] == "p"

    @property
    def crashed(self) -> bool:
        return self.state[4:5] == "c"

    @property
    def alive(self) -> bool:
        """Running or waiting for work (xl shows idle guests as ``-b----``), not going away."""
        return not any(f in self.flags for f in ("shutdown", "crashed", "dying"))

    @property
    def is_dom0(self) -> bool:
        return self.id == 0

    @property
    def domid(self) -> int:
        """Xen's name for ``id``."""
        return self.id


@dataclass(frozen=True)
class DomainDetails:
    """A domain's configuration as the toolstack holds it (``xl list -l``)."""

    domid: int
    name: str
    uuid: str | None
    type: str | None
    memory: int
    max_memory: int
    vcpus: int
    kernel: str | None
    disks: tuple[DiskSpec, ...]
    vifs: tuple[VifSpec, ...]


@dataclass(frozen=True)
class XenInfo:
    """``xl info``: every field as text, with the ones fxkit uses typed (MiB)."""

    fields: dict[str, str]

    def _int(self, key: str) -> int:
        try:
            return int(self.fields[key])
        except (KeyError, ValueError):
            raise ParseError(f"xl info: no numeric {key!r} field in {sorted(self.fields)}") \
                from None

    @property
    def total_memory(self) -> int:
        return self._int("total_memory")

    @property
    def free_memory(self) -> int:
        return self._int("free_memory")

    @property
    def nr_cpus(self) -> int:
        return self._int("nr_cpus")

    @property
    def host(self) -> str:
        return self.fields.get("host", "")

    @property
    def version(self) -> str:
        f = self.fields
        return f"{f.get('xen_major', '?')}.{f.get('xen_minor', '?')}{f.get('xen_extra', '')}"


@dataclass(frozen=True)
class VcpuInfo:
    name: str
    id: int
    vcpu: int
    cpu: int | None
    state: str
    seconds: float
    affinity: str


def parse_list(text: str) -> list[Domain]:
    """Parse ``xl list [-v]`` or ``xm list`` (either layout); the header is skipped."""
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("Name "):
            continue
        m = _ROW.match(line)
        if m is None:
            raise ParseError(f"xl list line {n}: cannot read {line!r}")
        out.append(Domain(m["name"], int(m["id"]), int(m["mem"]), int(m["vcpus"]), m["state"],
                          float(m["time"]), m["uuid"]))
    return out


def parse_list_long(text: str) -> list[DomainDetails]:
    """Parse ``xl list -l`` JSON: ``[{"domid": N, "config": {c_info, b_info, disks, nics}}]``."""
    try:
        data = json.loads(text) if text.strip() else []
    except json.JSONDecodeError as e:
        raise ParseError(f"xl list -l: not JSON ({e}); is output_format=sxp set in "
                         "/etc/xen/xl.conf? fxkit needs the default json") from None
    out = []
    for entry in data:
        cfg = entry.get("config", {})
        c_info, b_info = cfg.get("c_info", {}), cfg.get("b_info", {})
        pv = b_info.get("type.pv", {})
        disks = tuple(DiskSpec(target=d.get("pdev_path"), vdev=d.get("vdev"),
                               access="w" if d.get("readwrite", 1) else "r",
                               format=d.get("format"))
                      for d in cfg.get("disks", []))
        vifs = tuple(VifSpec(mac=n.get("mac"), bridge=n.get("bridge"), ip=n.get("ip"),
                             vifname=n.get("ifname"), model=n.get("model"))
                     for n in cfg.get("nics", []))
        out.append(DomainDetails(
            int(entry["domid"]), c_info.get("name", ""), c_info.get("uuid"), c_info.get("type"),
            int(b_info.get("target_memkb", 0)) // 1024, int(b_info.get("max_memkb", 0)) // 1024,
            # b_info.kernel since Xen 4.10 (libxl_types.idl); type.pv.kernel before that
            int(b_info.get("max_vcpus", 1)), b_info.get("kernel") or pv.get("kernel"),
            disks, vifs))
    return out


def parse_info(text: str) -> XenInfo:
    """Parse ``xl info`` / ``xm info``: ``key<spaces>: value`` lines."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip():
            fields[key.strip()] = value.strip()
    if not fields:
        raise ParseError("xl info printed nothing readable")
    return XenInfo(fields)


def parse_vcpu_list(text: str) -> list[VcpuInfo]:
    out = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("Name "):
            continue
        m = re.match(r"(\S+)\s+(\d+)\s+(\d+)\s+(\d+|-)\s+([-rbp]{3})\s+([\d.]+)\s+(.*)$", line)
        if m is None:
            raise ParseError(f"xl vcpu-list: cannot read {line!r}")
        out.append(VcpuInfo(m[1], int(m[2]), int(m[3]), None if m[4] == "-" else int(m[4]),
                            m[5], float(m[6]), m[7].strip()))
    return out


class Toolstack:
    """``xl`` (default) or ``xm`` on one host; every method runs one command."""

    def __init__(self, host: Host, tool: str = "xl", *, sudo: bool = False) -> None:
        if tool not in ("xl", "xm"):
            raise InvalidRequest(f"toolstack {tool!r}: use 'xl' (Xen >= 4.5) or 'xm' (older)")
        self.host, self.tool, self.sudo = host, tool, sudo

    def _run(self, *args: str, read_only: bool = False, timeout: float | None = None,
             check: bool = True) -> Result:
        try:
            return self.host.run([self.tool, *args], sudo=self.sudo, read_only=read_only,
                                 timeout=timeout, check=check)
        except CommandFailed as e:
            if any(s in e.result.stderr for s in _NO_HYPERVISOR):
                raise CommandFailed(e.result, (
                    f"{e.result.host}: `{e.result.command_line}` cannot reach a Xen hypervisor "
                    "(xl prints 'cannot init xl context' or 'Can't find hypervisor "
                    "information'): this machine is not running as a Xen dom0. Boot its Xen "
                    "entry in GRUB, or point fxkit at the dom0")) from None
            raise

    def list(self) -> list[Domain]:
        return parse_list(self._run("list", read_only=True).stdout)

    def list_long(self) -> list[DomainDetails]:
        """Every domU's live configuration (xl only; xm's SXP is not read)."""
        if self.tool != "xl":
            return []
        return parse_list_long(self._run("list", "-l", read_only=True).stdout)

    def info(self) -> XenInfo:
        return parse_info(self._run("info", read_only=True).stdout)

    def vcpu_list(self) -> list[VcpuInfo]:
        return parse_vcpu_list(self._run("vcpu-list", read_only=True).stdout)

    def domain(self, name: str) -> Domain | None:
        return next((d for d in self.list() if d.name == name), None)

    def create(self, config_path: str) -> Result:
        """Start a domain from its config file (never ``-c``: consoles are not interactive)."""
        return self._run("create", config_path)

    def shutdown(self, name: str, *, wait: bool = True, timeout: float = 120.0) -> Result:
        """Ask the guest to power off; with ``wait`` block until it is gone (or time out).

        ``xl shutdown -w`` returns once the guest has shut down, while Xen may still list it
        as dying for a few seconds (seen on Xen 4.17); waiting also waits that out, so a
        create of the same name right after does not fail.
        """
        started = time.monotonic()
        result = self._run("shutdown", *(["-w"] if wait else []), name, timeout=timeout)
        left = max(timeout - (time.monotonic() - started), 1.0)
        if wait and not wait_until(lambda: self.domain(name) is None, left):
            raise PreconditionFailed(
                f"{result.host}: `{result.command_line}` returned, but {name} was still "
                f"listed {timeout:.0f} s after the request; look at `{self.tool} list`")
        return result

    def reboot(self, name: str) -> Result:
        return self._run("reboot", name)

    def destroy(self, name: str, *, confirm: str | None = None) -> Result:
        """Pull the plug on a domain: refused unless ``confirm`` repeats its name."""
        if confirm != name:
            raise ConfirmationRequired(
                f"destroying domain {name} kills it without a clean shutdown (like pulling the "
                f"power cord); nothing was run. Prefer shutdown(); to go ahead pass "
                f"confirm={name!r}", [name])
        return self._run("destroy", name)

    def console(self, name: str, *, timeout: float = 10.0) -> str:
        """The guest's recent console output, captured without attaching a terminal.

        Reads xenconsoled's log (``/var/log/xen/console/guest-NAME.log``, kept when
        xenconsoled runs with ``--log=guest``) and falls back to ``xl console``
        with a timeout (the lab prints the log and returns).
        """
        try:
            return self.host.read_file(f"/var/log/xen/console/guest-{name}.log")
        except Exception:  # noqa: BLE001 - any transport's "no such file"
            pass
        result = self._run("console", name, timeout=timeout, check=False)
        if result.exit_status != 0:
            raise CommandFailed(result)
        return result.stdout


@dataclass
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

    ``sudo=True`` runs the toolstack through ``sudo -n`` (xl needs root).
    """
    ts = Toolstack(host, tool, sudo=sudo)
    configs, errors = read_configs(host)
    return XenFacts(tool, ts.list(), ts.list_long(), ts.info(), configs, errors)
