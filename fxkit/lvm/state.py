"""LVM facts: one pvs, one vgs and one lvs JSON report, parsed into a typed LvmState.

    >>> state = read_lvm(connect("lab"))                       # doctest: +SKIP
    >>> state.lv("lvm/secours-root").attr.open
    True

Plans live in ``fxkit.lvm.plans``; names and sizes in ``fxkit.lvm.names`` and
``fxkit.lvm.sizes``; the classic ``*display`` parsers in ``fxkit.lvm.display``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fxkit.errors import InvalidRequest, ParseError
from fxkit.lvm.names import LvRef, parse_lv_ref
from fxkit.privilege import become

if TYPE_CHECKING:
    from fxkit.host import Host

PV_FIELDS = ("pv_name,vg_name,pv_fmt,pv_attr,pv_size,pv_free,pv_uuid,dev_size,pe_start,"
             "pv_pe_count,pv_pe_alloc_count")
VG_FIELDS = ("vg_name,vg_uuid,vg_attr,vg_size,vg_free,vg_extent_size,vg_extent_count,"
             "vg_free_count,pv_count,lv_count,snap_count,vg_seqno")
LV_FIELDS = "lv_name,vg_name,lv_attr,lv_size,lv_uuid,lv_path,lv_dm_path,origin,data_percent,devices"
REPORT_ARGS = ("--reportformat", "json", "--units", "b", "--nosuffix", "-o")

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


@dataclass(frozen=True)
class Segment:
    pv: str
    pe: int


@dataclass(frozen=True)
class LogicalVolume:
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


@dataclass(frozen=True)
class LvmState:
    """Everything LVM on one host, read in three commands."""

    pvs: tuple[PhysicalVolume, ...]
    vgs: tuple[VolumeGroup, ...]
    lvs: tuple[LogicalVolume, ...]

    def vg(self, name: str) -> VolumeGroup | None:
        return next((v for v in self.vgs if v.name == name), None)

    def pv(self, name: str) -> PhysicalVolume | None:
        return next((p for p in self.pvs if p.name == name), None)

    def lv(self, ref: str | LvRef) -> LogicalVolume | None:
        """The LV named ``vg/lv``, ``/dev/vg/lv`` or ``/dev/mapper/vg-lv`` (None if absent)."""
        r = parse_lv_ref(ref) if isinstance(ref, str) else ref
        return next((lv for lv in self.lvs if lv.vg == r.vg and lv.name == r.lv), None)

    def lvs_in(self, vg: str) -> list[LogicalVolume]:
        return [lv for lv in self.lvs if lv.vg == vg]

    def snapshots_of(self, lv: LogicalVolume) -> list[LogicalVolume]:
        return [s for s in self.lvs if s.vg == lv.vg and s.origin == lv.name]

    def extents(self, lv: LogicalVolume) -> int:
        vg = self.vg(lv.vg)
        return lv.size_bytes // vg.extent_size if vg else 0


# -- parsers -----------------------------------------------------------------------------

def _rows(text: str, kind: str) -> list[dict[str, str]]:
    try:
        data = json.loads(text)
        rows = data["report"][0][kind]
    except (ValueError, KeyError, IndexError, TypeError) as e:
        raise ParseError(f"not an lvm2 JSON {kind}s report ({e}): {text[:200]!r}") from e
    if not isinstance(rows, list):
        raise ParseError(f"lvm2 JSON report: '{kind}' is not a list")
    return rows


def _int(row: dict[str, str], key: str, default: int = 0) -> int:
    value = row.get(key, "")
    if value.strip() == "":
        return default
    try:
        return int(value.strip())
    except ValueError as e:
        raise ParseError(f"field {key}={value!r} is not a byte count; read it with "
                         "--units b --nosuffix") from e


def parse_pvs_json(text: str) -> list[PhysicalVolume]:
    return [PhysicalVolume(r["pv_name"], r.get("vg_name") or None, r.get("pv_fmt", ""),
                           r.get("pv_attr", ""), _int(r, "pv_size"), _int(r, "pv_free"),
                           r.get("pv_uuid", ""), _int(r, "dev_size"), _int(r, "pe_start"),
                           _int(r, "pv_pe_count"), _int(r, "pv_pe_alloc_count"))
            for r in _rows(text, "pv")]


def parse_vgs_json(text: str) -> list[VolumeGroup]:
    return [VolumeGroup(r["vg_name"], r.get("vg_uuid", ""), r.get("vg_attr", ""),
                        _int(r, "vg_size"), _int(r, "vg_free"), _int(r, "vg_extent_size"),
                        _int(r, "vg_extent_count"), _int(r, "vg_free_count"),
                        _int(r, "pv_count"), _int(r, "lv_count"), _int(r, "snap_count"),
                        _int(r, "vg_seqno"))
            for r in _rows(text, "vg")]


def _segment(devices: str) -> Segment | None:
    if not devices or "(" not in devices:
        return None
    pv, _, pe = devices.rstrip(")").rpartition("(")
    return Segment(pv, int(pe))


def parse_lvs_json(text: str) -> list[LogicalVolume]:
    """LVs from an lvs JSON report; rows per segment (``devices``) are merged."""
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for r in _rows(text, "lv"):
        key = (r["vg_name"], r["lv_name"])
        entry = merged.setdefault(key, {"row": r, "segments": []})
        seg = _segment(r.get("devices", ""))
        if seg is not None:
            entry["segments"].append(seg)
    return [LogicalVolume(r["lv_name"], r["vg_name"], LvAttr(r.get("lv_attr", "-" * 10)),
                          _int(r, "lv_size"), r.get("lv_uuid", ""), r.get("lv_path", ""),
                          r.get("lv_dm_path", ""), r.get("origin", ""),
                          r.get("data_percent", ""), tuple(e["segments"]))
            for e in merged.values() for r in [e["row"]]]


def _report(host: Host, tool: str, fields: str, sudo: bool) -> str:
    become(host, sudo)
    return host.run([tool, *REPORT_ARGS, fields], read_only=True).stdout


def read_lvm(host: Host, *, sudo: bool = False) -> LvmState:
    """Read PVs, VGs and LVs from ``host`` with three read-only report commands.

    ``sudo=True`` is ``host.sudo = True`` (say it once: ``connect(target, sudo=True)``):
    every later command of ``host`` goes through sudo too. The same holds for the other
    readers here.
    """
    become(host, sudo)
    return LvmState(read_pvs(host), read_vgs(host), read_lvs(host))


def read_pvs(host: Host, *, sudo: bool = False) -> tuple[PhysicalVolume, ...]:
    """The PVs of ``host`` (one ``pvs``): what a step's check reads right before it runs."""
    return tuple(parse_pvs_json(_report(host, "pvs", PV_FIELDS, sudo)))


def read_vgs(host: Host, *, sudo: bool = False) -> tuple[VolumeGroup, ...]:
    """The VGs of ``host`` (one ``vgs``)."""
    return tuple(parse_vgs_json(_report(host, "vgs", VG_FIELDS, sudo)))


def read_lvs(host: Host, *, sudo: bool = False) -> tuple[LogicalVolume, ...]:
    """The LVs of ``host`` (one ``lvs``)."""
    return tuple(parse_lvs_json(_report(host, "lvs", LV_FIELDS, sudo)))


def read_lv(host: Host, ref: str | LvRef, *, sudo: bool = False) -> LogicalVolume | None:
    """LV ``ref`` as ``host`` has it now (one ``lvs``), or None if it does not exist."""
    return LvmState((), (), read_lvs(host, sudo=sudo)).lv(ref)


def require_lv(state: LvmState, ref: str | LvRef) -> LogicalVolume:
    lv = state.lv(ref)
    if lv is None:
        r = parse_lv_ref(ref) if isinstance(ref, str) else ref
        known = ", ".join(x.full_name for x in state.lvs_in(r.vg)) or "none"
        if state.vg(r.vg) is None:
            raise InvalidRequest(f"VG {r.vg!r} does not exist on this host (VGs: "
                                 f"{', '.join(v.name for v in state.vgs) or 'none'})")
        raise InvalidRequest(f"LV {r.full_name} does not exist (LVs in {r.vg}: {known})")
    return lv
