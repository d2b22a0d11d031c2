"""Xen domains as ``xl``/``xm`` print them: pure parsers from text to typed values.

    >>> [d.name for d in parse_list("Domain-0  0  512  2  r-----  10.0\n")]
    ['Domain-0']

Formats follow the printf calls of Xen's ``tools/xl/xl_list.c`` (list, incl.
the two TABs of its header), ``xl_info.c`` and ``xl_vcpu.c``; xm's list is
xend's ``"%-40s %5s %5d %5d %10s %8.1f"`` (``tools/python/xen/xm/main.py``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fxkit.errors import ParseError
from fxkit.excerpt import excerpt
from fxkit.jsonfields import (
    BadField,
    int_field,
    load_json,
    object_field,
    objects_field,
    record_error,
    text_field,
)
from fxkit.xen.specs import DiskSpec, VifSpec

CONFIG_DIR = "/etc/xen"
# xl_list.c: running, blocked, paused, shutdown, shutdown reason ("-rscw"), dying.
_REASONS = {"r": "rebooting", "s": "suspended", "c": "crashed", "w": "watchdog"}
_ROW = re.compile(r"(?P<name>\S+)\s+(?P<id>[0-9]{1,10})\s+(?P<mem>[0-9]{1,20})\s+"
                  r"(?P<vcpus>[0-9]{1,10})\s+(?P<state>[-rbpscdw]{6})\s+"
                  r"(?P<time>[0-9]{1,20}(?:\.[0-9]{1,20})?)"
                  r"(?:\s+(?P<uuid>[0-9a-f]{8}-[0-9a-f-]{27}))?")


_VCPU_ROW = re.compile(r"(\S+)\s+([0-9]{1,10})\s+([0-9]{1,10})\s+([0-9]{1,10}|-)\s+"
                       r"([-rbp]{3})\s+([0-9]{1,20}(?:\.[0-9]{1,20})?)\s+(.*)\Z")


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
            raise ParseError(f"xl list line {n}: cannot read {excerpt(line)}")
        out.append(Domain(m["name"], int(m["id"]), int(m["mem"]), int(m["vcpus"]), m["state"],
                          float(m["time"]), m["uuid"]))
    return out


def parse_list_long(text: str) -> list[DomainDetails]:
    """Parse ``xl list -l`` JSON: ``[{"domid": N, "config": {c_info, b_info, disks, nics}}]``."""
    data = load_json(text, "xl list -l", "is output_format=sxp set in /etc/xen/xl.conf? "
                     "fxkit needs the default json") if text.strip() else []
    if not isinstance(data, list):
        raise ParseError(f"xl list -l: expected a JSON list of domains, got {excerpt(data)}")
    out = []
    for entry in data:
        try:
            out.append(_details(entry))
        except BadField as e:
            raise record_error("xl list -l", entry, e) from None
    return out


def _count(parent: Mapping[str, Any], key: str, default: int) -> int:
    value = int_field(parent, key, default)
    if value < 0:
        raise BadField(f"{key} is {value}, not a count")
    return value


def _details(entry: Any) -> DomainDetails:
    if not isinstance(entry, dict) or "domid" not in entry:
        raise BadField("it is not an object with a domid")
    if isinstance(entry["domid"], str):
        raise BadField("domid is a string, not a number")
    cfg = object_field(entry, "config")
    c_info, b_info = object_field(cfg, "c_info"), object_field(cfg, "b_info")
    pv = object_field(b_info, "type.pv")
    disks = []
    for d in objects_field(cfg, "disks"):
        readwrite = d.get("readwrite", 1)
        if type(readwrite) not in (int, bool):
            raise BadField(f"readwrite is {excerpt(readwrite, 30)}")
        disks.append(DiskSpec(target=text_field(d, "pdev_path"), vdev=text_field(d, "vdev"),
                              access="w" if readwrite else "r",
                              format=text_field(d, "format")))
    vifs = tuple(VifSpec(mac=text_field(n, "mac"), bridge=text_field(n, "bridge"),
                         ip=text_field(n, "ip"), vifname=text_field(n, "ifname"),
                         model=text_field(n, "model"))
                 for n in objects_field(cfg, "nics"))
    return DomainDetails(
        _count(entry, "domid", 0), text_field(c_info, "name", ""), text_field(c_info, "uuid"),
        text_field(c_info, "type"), _count(b_info, "target_memkb", 0) // 1024,
        _count(b_info, "max_memkb", 0) // 1024, _count(b_info, "max_vcpus", 1),
        # b_info.kernel since Xen 4.10 (libxl_types.idl); type.pv.kernel before that
        text_field(b_info, "kernel") or text_field(pv, "kernel"), tuple(disks), vifs)


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
        m = _VCPU_ROW.match(line)
        if m is None:
            raise ParseError(f"xl vcpu-list: cannot read {excerpt(line)}")
        out.append(VcpuInfo(m[1], int(m[2]), int(m[3]), None if m[4] == "-" else int(m[4]),
                            m[5], float(m[6]), m[7].strip()))
    return out
