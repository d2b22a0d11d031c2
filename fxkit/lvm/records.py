"""LVM records: what ``pvs``, ``vgs`` and ``lvs`` report, typed (``fxkit.lvm.reports``
parses them, ``fxkit.lvm.state`` reads them from a host).

    >>> LvAttr("-wi-ao----").open
    True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from fxkit.errors import ParseError
from fxkit.lvm.names import LvRef

# lv_attr characters, from lvs(8) and lvm2's lib/metadata/lv.c (lv_attr_dup)
_VOLUME_TYPES = {"-": "plain", "o": "origin", "O": "merging origin", "s": "snapshot",
                 "S": "merging snapshot", "m": "mirrored", "r": "raid", "t": "thin pool",
                 "V": "thin volume", "C": "cache", "p": "pvmove", "i": "mirror/raid image",
                 "l": "mirror log", "e": "raid metadata or pool metadata spare"}


@dataclass(frozen=True)
class LvAttr:
    """The 10 characters of ``lv_attr``, decoded."""

    raw: str

    def __post_init__(self) -> None:
        if len(self.raw) < 10:
            raise ParseError(f"lv_attr {self.raw!r} has fewer than 10 characters")

    @property
    def volume_type(self) -> str:
        return _VOLUME_TYPES.get(self.raw[0], self.raw[0])

    @property
    def writable(self) -> bool:
        return self.raw[1] == "w"

    @property
    def active(self) -> bool:
        return self.raw[4] == "a"

    @property
    def open(self) -> bool:
        return self.raw[5] == "o"

    @property
    def is_origin(self) -> bool:
        return self.raw[0] in "oO"

    @property
    def is_snapshot(self) -> bool:
        return self.raw[0] in "sS"

    @property
    def state_known(self) -> bool:
        """False when lvm2 could not ask device-mapper (``XX`` in the state columns)."""
        return self.raw[4:6] != "XX"


@dataclass(frozen=True)
class PhysicalVolume:
    name: str
    vg: str | None
    fmt: str
    attr: str
    size_bytes: int
    free_bytes: int
    uuid: str
    dev_size: int
    pe_start: int
    pe_count: int
    pe_alloc_count: int

    @property
    def free_extents(self) -> int:
        return self.pe_count - self.pe_alloc_count


@dataclass(frozen=True)
class VolumeGroup:
    name: str
    uuid: str
    attr: str
    size_bytes: int
    free_bytes: int
    extent_size: int
    extent_count: int
    free_count: int
    pv_count: int
    lv_count: int
    snap_count: int
    seqno: int


class Segment(NamedTuple):
    """One segment's first physical extent: ``devices`` says ``/dev/sdb(2585)``."""

    pv: str
    pe: int


class LogicalVolume(NamedTuple):
    """One LV (its segments' rows merged). A NamedTuple, not a dataclass: 10,000 of them are
    made per ``lvs`` on a big host, and a tuple is the cheapest record Python builds."""

    name: str
    vg: str
    attr: LvAttr
    size_bytes: int
    uuid: str
    path: str
    dm_path: str
    origin: str
    data_percent: str
    segments: tuple[Segment, ...]

    @property
    def full_name(self) -> str:
        return f"{self.vg}/{self.name}"

    @property
    def ref(self) -> LvRef:
        return LvRef(self.vg, self.name)
