"""The lab's LVM objects: PVs, VGs, LVs and their segments, as lvm2's metadata holds them.

A PV's data area starts at ``pe_start`` (1 MiB, lvm2's default) and holds
``(dev_size - pe_start) // extent_size`` extents once in a VG; an LV is a list
of segments (PV, first PE, count). What changes them is ``model.LvmModel``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fxkit.lvm.names import dm_name

MiB = 1024 ** 2
DEFAULT_EXTENT = 4 * MiB
DEFAULT_PE_START = MiB
# lvm2 lib/uuid/uuid.c: ids use these 62 characters, printed 6-4-4-4-4-4-6
_ID_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def lvm_uuid(state: Any, *parts: object) -> str:
    """An lvm2-style id (``xxxxxx-xxxx-...``) derived from the lab's seed and ``parts``."""
    raw = state.token("lvm-id", *parts)
    chars = "".join(_ID_CHARS[b % 62] for b in raw[:32])
    groups, pos = [], 0
    for n in (6, 4, 4, 4, 4, 4, 6):
        groups.append(chars[pos:pos + n])
        pos += n
    return "-".join(groups)


class NoSpace(Exception):
    """Not enough free extents for an allocation: ``needed`` of ``available``."""

    def __init__(self, needed: int, available: int) -> None:
        self.needed, self.available = needed, available


@dataclass
class Segment:
    pv: str
    pe: int
    count: int


@dataclass
class LogicalVolume:
    name: str
    vg: str
    uuid: str
    extent_size: int
    segments: list[Segment] = field(default_factory=list)
    created: str = ""
    host: str = "fx"
    fs: dict[str, Any] | None = None
    origin: str | None = None          # for a snapshot: the origin LV's name
    chunk_size: int = 4096
    minor: int = 0
    active: bool = True
    stale_from: list[str] = field(default_factory=list)  # removed LVs whose data it may show
    wipes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def extents(self) -> int:
        return sum(s.count for s in self.segments)

    @property
    def size_bytes(self) -> int:
        return self.extents * self.extent_size

    @property
    def path(self) -> str:
        return f"/dev/{self.vg}/{self.name}"

    @property
    def dm_path(self) -> str:
        return "/dev/mapper/" + dm_name(self.vg, self.name)

    @property
    def full_name(self) -> str:
        return f"{self.vg}/{self.name}"

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"name": self.name, "uuid": self.uuid,
                             "segments": [[s.pv, s.pe, s.count] for s in self.segments],
                             "created": self.created, "host": self.host, "fs": self.fs,
                             "minor": self.minor}
        if self.origin:
            d["origin"] = self.origin
        if not self.active:
            d["active"] = False
        if self.stale_from:
            d["stale_from"] = self.stale_from
        if self.wipes:
            d["wipes"] = self.wipes
        return d


@dataclass
class PhysicalVolume:
    name: str
    dev_size: int
    uuid: str
    pe_start: int = DEFAULT_PE_START
    vg: str | None = None
    pe_count: int = 0
    allocatable: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "dev_size": self.dev_size, "uuid": self.uuid,
                "pe_start": self.pe_start, "vg": self.vg, "pe_count": self.pe_count}


@dataclass
class VolumeGroup:
    name: str
    uuid: str
    extent_size: int = DEFAULT_EXTENT
    pvs: list[str] = field(default_factory=list)
    lvs: list[LogicalVolume] = field(default_factory=list)
    seqno: int = 1

    def lv(self, name: str) -> LogicalVolume | None:
        return next((lv for lv in self.lvs if lv.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "uuid": self.uuid, "extent_size": self.extent_size,
                "seqno": self.seqno, "pvs": list(self.pvs),
                "lvs": [lv.to_dict() for lv in self.lvs]}
