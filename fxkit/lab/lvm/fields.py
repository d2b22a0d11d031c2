"""The fields of the lab's pvs/vgs/lvs reports: what each reads from the LVM model.

Field headings and minimum widths come from lvm2's ``lib/report/columns.h``;
``lv_attr`` is lvm2's ``lv_attr_dup``. The ``*_all`` sets' further fields are in
``report_all``, the layout in ``report``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fxkit.lab.lvm.model import LvmModel
from fxkit.lab.lvm.volumes import LogicalVolume, PhysicalVolume, Segment, VolumeGroup


@dataclass(frozen=True)
class Field:
    scope: str      # "pv", "vg", "lv" or "seg": which object it reads
    heading: str
    width: int      # columns.h output_width (a minimum)
    kind: str       # "str", "num" or "size"
    get: Callable[[Row], Any]


@dataclass
class Row:
    model: LvmModel
    pv: PhysicalVolume | None = None
    vg: VolumeGroup | None = None
    lv: LogicalVolume | None = None
    seg: Segment | None = None
    open_lvs: frozenset[str] = frozenset()
    origins: frozenset[tuple[str, str]] | None = None  # (vg, lv) of snapshot origins


def _pv_size(r: Row) -> int:
    pv = r.pv
    assert pv is not None
    return pv.pe_count * r.vg.extent_size if r.vg else pv.dev_size


def _pv_free(r: Row) -> int:
    pv = r.pv
    assert pv is not None
    if not r.vg:
        return pv.dev_size
    return (pv.pe_count - r.model.pv_alloc_count(pv)) * r.vg.extent_size


def origin_names(model: LvmModel) -> frozenset[tuple[str, str]]:
    """(vg, lv) of every LV that has a snapshot: computed once per report, not per row."""
    return frozenset((lv.vg, lv.origin) for lv in model.all_lvs() if lv.origin)


def lv_attr(model: LvmModel, lv: LogicalVolume, open_lvs: frozenset[str] | set[str],
            origins: frozenset[tuple[str, str]] | None = None) -> str:
    """lv_attr as lvm2's lib/metadata/lv.c ``lv_attr_dup`` builds it, for a host with dm."""
    is_origin = (lv.vg, lv.name) in (origins if origins is not None else origin_names(model))
    kind = "s" if lv.origin else "o" if is_origin else "-"
    target = "s" if (lv.origin or is_origin) else "-"
    opened = "o" if lv.active and lv.full_name in open_lvs else "-"
    return f"{kind}wi-{'a' if lv.active else '-'}{opened}{target}---"


def lv_of(r: Row) -> LogicalVolume:
    """The row's LV (for fields of LV reports, where there always is one)."""
    assert r.lv is not None
    return r.lv


def vg_of(r: Row) -> VolumeGroup:
    """The row's VG (for fields read only when there is one)."""
    assert r.vg is not None
    return r.vg


def _snaps(r: Row) -> list[LogicalVolume]:
    return [lv for lv in vg_of(r).lvs if lv.origin]


FIELDS: dict[str, Field] = {
    # PVs
    "pv_name": Field("pv", "PV", 10, "str", lambda r: r.pv.name),  # type: ignore[union-attr]
    "pv_fmt": Field("pv", "Fmt", 0, "str", lambda r: "lvm2"),
    "pv_attr": Field("pv", "Attr", 0, "str",
                     lambda r: "a--" if r.vg and r.pv.allocatable else "---"),  # type: ignore
    "pv_size": Field("pv", "PSize", 0, "size", _pv_size),
    "pv_free": Field("pv", "PFree", 0, "size", _pv_free),
    "pv_used": Field("pv", "Used", 0, "size", lambda r: _pv_size(r) - _pv_free(r)),
    "pv_uuid": Field("pv", "PV UUID", 38, "str", lambda r: r.pv.uuid),  # type: ignore
    "dev_size": Field("pv", "DevSize", 0, "size", lambda r: r.pv.dev_size),  # type: ignore
    "pe_start": Field("pv", "1st PE", 7, "size", lambda r: r.pv.pe_start),  # type: ignore
    "pv_pe_count": Field("pv", "PE", 3, "num", lambda r: r.pv.pe_count if r.vg else 0),  # type: ignore
    "pv_pe_alloc_count": Field("pv", "Alloc", 0, "num",
                               lambda r: r.model.pv_alloc_count(r.pv) if r.vg else 0),  # type: ignore
    "pv_mda_count": Field("pv", "#PMda", 0, "num", lambda r: 1),
    # VGs
    "vg_name": Field("vg", "VG", 0, "str", lambda r: r.vg.name if r.vg else ""),
    "vg_fmt": Field("vg", "Fmt", 0, "str", lambda r: "lvm2"),
    "vg_uuid": Field("vg", "VG UUID", 38, "str", lambda r: r.vg.uuid if r.vg else ""),
    "vg_attr": Field("vg", "Attr", 5, "str", lambda r: "wz--n-" if r.vg else ""),
    "vg_size": Field("vg", "VSize", 0, "size",
                     lambda r: r.model.vg_extents(vg_of(r)) * vg_of(r).extent_size if r.vg else 0),
    "vg_free": Field("vg", "VFree", 0, "size",
                     lambda r: r.model.vg_free(vg_of(r)) * vg_of(r).extent_size if r.vg else 0),
    "vg_extent_size": Field("vg", "Ext", 0, "size", lambda r: r.vg.extent_size if r.vg else 0),
    "vg_extent_count": Field("vg", "#Ext", 0, "num",
                             lambda r: r.model.vg_extents(vg_of(r)) if r.vg else 0),
    "vg_free_count": Field("vg", "Free", 0, "num",
                           lambda r: r.model.vg_free(vg_of(r)) if r.vg else 0),
    "vg_seqno": Field("vg", "Seq", 0, "num", lambda r: r.vg.seqno if r.vg else 0),
    "vg_mda_count": Field("vg", "#VMda", 0, "num", lambda r: len(r.vg.pvs) if r.vg else 0),
    "pv_count": Field("vg", "#PV", 0, "num", lambda r: len(r.vg.pvs) if r.vg else 0),
    "lv_count": Field("vg", "#LV", 0, "num", lambda r: len(r.vg.lvs) if r.vg else 0),
    "snap_count": Field("vg", "#SN", 0, "num", lambda r: len(_snaps(r)) if r.vg else 0),
    "max_lv": Field("vg", "MaxLV", 0, "num", lambda r: 0),
    "max_pv": Field("vg", "MaxPV", 0, "num", lambda r: 0),
    # LVs
    "lv_name": Field("lv", "LV", 4, "str", lambda r: lv_of(r).name),
    "lv_full_name": Field("lv", "LV", 4, "str", lambda r: lv_of(r).full_name),
    "lv_path": Field("lv", "Path", 0, "str", lambda r: lv_of(r).path),
    "lv_dm_path": Field("lv", "DMPath", 0, "str", lambda r: lv_of(r).dm_path),
    "lv_uuid": Field("lv", "LV UUID", 38, "str", lambda r: lv_of(r).uuid),
    "lv_attr": Field("lv", "Attr", 0, "str",
                     lambda r: lv_attr(r.model, lv_of(r), r.open_lvs, r.origins)),
    "lv_size": Field("lv", "LSize", 0, "size", lambda r: lv_of(r).size_bytes),
    "lv_active": Field("lv", "Active", 0, "str", lambda r: "active" if lv_of(r).active else ""),
    "lv_host": Field("lv", "Host", 10, "str", lambda r: lv_of(r).host),
    "lv_time": Field("lv", "CTime", 26, "str", lambda r: lv_of(r).created),
    "lv_kernel_major": Field("lv", "KMaj", 0, "num", lambda r: 254),
    "lv_kernel_minor": Field("lv", "KMin", 0, "num", lambda r: lv_of(r).minor),
    "lv_device_open": Field("lv", "DevOpen", 10, "str",
                            lambda r: "open" if lv_of(r).full_name in r.open_lvs else ""),
    "seg_count": Field("lv", "#Seg", 0, "num", lambda r: len(lv_of(r).segments)),
    "origin": Field("lv", "Origin", 0, "str", lambda r: lv_of(r).origin or ""),
    "origin_size": Field("lv", "OSize", 0, "size", lambda r: _origin_size(r)),
    "pool_lv": Field("lv", "Pool", 0, "str", lambda r: ""),
    "data_percent": Field("lv", "Data%", 6, "num", lambda r: "0.00" if lv_of(r).origin else ""),
    "snap_percent": Field("lv", "Snap%", 6, "num", lambda r: "0.00" if lv_of(r).origin else ""),
    "metadata_percent": Field("lv", "Meta%", 6, "num", lambda r: ""),
    "move_pv": Field("lv", "Move", 0, "str", lambda r: ""),
    "mirror_log": Field("lv", "Log", 0, "str", lambda r: ""),
    "copy_percent": Field("lv", "Cpy%Sync", 0, "num", lambda r: ""),
    "convert_lv": Field("lv", "Convert", 0, "str", lambda r: ""),
    "lv_read_ahead": Field("lv", "Rahead", 0, "str", lambda r: "auto"),
    # segments
    "devices": Field("seg", "Devices", 0, "str", lambda r: f"{r.seg.pv}({r.seg.pe})"),  # type: ignore
    "seg_pe_ranges": Field("seg", "PE Ranges", 0, "str",
                           lambda r: f"{r.seg.pv}:{r.seg.pe}-{r.seg.pe + r.seg.count - 1}"),  # type: ignore
    "seg_size": Field("seg", "SSize", 0, "size",
                      lambda r: r.seg.count * lv_of(r).extent_size),  # type: ignore
    "seg_size_pe": Field("seg", "SSize", 0, "num", lambda r: r.seg.count),  # type: ignore
    "segtype": Field("seg", "Type", 0, "str", lambda r: "linear"),
}


def _origin_size(r: Row) -> int | None:
    lv = lv_of(r)
    origin = vg_of(r).lv(lv.origin) if lv.origin else None
    return origin.size_bytes if origin else None   # None: printed empty, not "0 "
