"""Xen domains as ``xl``/``xm`` print them: pure parsers from text to typed values.

    >>> [d.name for d in parse_list("Domain-0  0  512  2  r-----  10.0\n")]
    ['Domain-0']

Formats follow the printf calls of Xen's ``tools/xl/xl_list.c`` (list, incl.
the two TABs of its header), ``xl_info.c`` and ``xl_vcpu.c``; xm's list is
xend's ``"%-40s %5s %5d %5d %10s %8.1f"`` (``tools/python/xen/xm/main.py``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from fxkit.errors import ParseError
from fxkit.xen.specs import DiskSpec, VifSpec

CONFIG_DIR = "/etc/xen"
# xl_list.c: running, blocked, paused, shutdown, shutdown reason ("-rscw"), dying.
_REASONS = {"r": "rebooting", "s": "suspended", "c": "crashed", "w": "watchdog"}
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
