"""LVM facts: one pvs, one vgs and one lvs JSON report, parsed into a typed LvmState.

    >>> state = read_lvm(connect("lab"))                       # doctest: +SKIP
    >>> state.lv("lvm/secours-root").attr.open
    True

Records live in ``fxkit.lvm.records``, their parsers in ``fxkit.lvm.reports`` (both
re-exported here); plans in ``fxkit.lvm.plans``; names and sizes in ``fxkit.lvm.names`` and
``fxkit.lvm.sizes``; the classic ``*display`` parsers in ``fxkit.lvm.display``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from fxkit.errors import InvalidRequest
from fxkit.lvm.names import LvRef, parse_lv_ref
from fxkit.lvm.records import LogicalVolume, LvAttr, PhysicalVolume, Segment, VolumeGroup
from fxkit.lvm.reports import parse_lvs_json, parse_pvs_json, parse_vgs_json
from fxkit.privilege import become

if TYPE_CHECKING:
    from fxkit.host import Host

PV_FIELDS = ("pv_name,vg_name,pv_fmt,pv_attr,pv_size,pv_free,pv_uuid,dev_size,pe_start,"
             "pv_pe_count,pv_pe_alloc_count")
VG_FIELDS = ("vg_name,vg_uuid,vg_attr,vg_size,vg_free,vg_extent_size,vg_extent_count,"
             "vg_free_count,pv_count,lv_count,snap_count,vg_seqno")
LV_FIELDS = "lv_name,vg_name,lv_attr,lv_size,lv_uuid,lv_path,lv_dm_path,origin,data_percent,devices"
REPORT_ARGS = ("--reportformat", "json", "--units", "b", "--nosuffix", "-o")
# What read_lvm sends (together): for readers that send it ahead with more (Host.reads_ahead)
LVM_READS = (("pvs", *REPORT_ARGS, PV_FIELDS), ("vgs", *REPORT_ARGS, VG_FIELDS),
             ("lvs", *REPORT_ARGS, LV_FIELDS))
__all__ = ["LVM_READS", "LV_FIELDS", "PV_FIELDS", "REPORT_ARGS", "VG_FIELDS", "LogicalVolume",
           "LvAttr", "LvmState", "PhysicalVolume", "Segment", "VolumeGroup", "parse_lvs_json",
           "parse_pvs_json", "parse_vgs_json", "read_lv", "read_lvm", "read_lvs", "read_pvs",
           "read_vgs", "require_lv"]

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


def _report(host: Host, tool: str, fields: str, sudo: bool) -> str:
    become(host, sudo)
    return host.run([tool, *REPORT_ARGS, fields], read_only=True).stdout


def read_lvm(host: Host, *, sudo: bool = False) -> LvmState:
    """Read PVs, VGs and LVs from ``host`` with three read-only report commands, sent
    together (``Host.run_reads``).

    ``sudo=True`` is ``host.sudo = True`` (say it once: ``connect(target, sudo=True)``):
    every later command of ``host`` goes through sudo too. The same holds for the other
    readers here.
    """
    become(host, sudo)
    pvs, vgs, lvs = host.run_reads(LVM_READS)
    return LvmState(tuple(parse_pvs_json(pvs.stdout)), tuple(parse_vgs_json(vgs.stdout)),
                    tuple(parse_lvs_json(lvs.stdout)))


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
