"""pvs/vgs/lvs reports in the lab: fields, units, column layout and JSON, as lvm2 prints them.

Field headings and minimum widths come from lvm2's ``lib/report/columns.h``; the
layout (two-space indent, headings left-aligned, numbers right-aligned, every
column padded, ``--separator`` meaning unaligned, the JSON indentation) from
libdm's ``libdm-report.c`` as captured in tests/fixtures/lvm.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fxkit.lab.lvm_model import LogicalVolume, LvmModel, PhysicalVolume, Segment, VolumeGroup
from fxkit.lvm_sizes import format_size

DEFAULTS = {
    "pv": "pv_name,vg_name,pv_fmt,pv_attr,pv_size,pv_free",
    "vg": "vg_name,pv_count,lv_count,snap_count,vg_attr,vg_size,vg_free",
    "lv": "lv_name,vg_name,lv_attr,lv_size,pool_lv,origin,data_percent,metadata_percent,"
          "move_pv,mirror_log,copy_percent,convert_lv",
}
SORT = {"pv": ("pv_name",), "vg": ("vg_name",), "lv": ("vg_name", "lv_name")}


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


def _lv(r: Row) -> LogicalVolume:
    assert r.lv is not None
    return r.lv


def _vg(r: Row) -> VolumeGroup:
    assert r.vg is not None
    return r.vg


def _snaps(r: Row) -> list[LogicalVolume]:
    return [lv for lv in _vg(r).lvs if lv.origin]


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
                     lambda r: r.model.vg_extents(_vg(r)) * _vg(r).extent_size if r.vg else 0),
    "vg_free": Field("vg", "VFree", 0, "size",
                     lambda r: r.model.vg_free(_vg(r)) * _vg(r).extent_size if r.vg else 0),
    "vg_extent_size": Field("vg", "Ext", 0, "size", lambda r: r.vg.extent_size if r.vg else 0),
    "vg_extent_count": Field("vg", "#Ext", 0, "num",
                             lambda r: r.model.vg_extents(_vg(r)) if r.vg else 0),
    "vg_free_count": Field("vg", "Free", 0, "num",
                           lambda r: r.model.vg_free(_vg(r)) if r.vg else 0),
    "vg_seqno": Field("vg", "Seq", 0, "num", lambda r: r.vg.seqno if r.vg else 0),
    "vg_mda_count": Field("vg", "#VMda", 0, "num", lambda r: len(r.vg.pvs) if r.vg else 0),
    "pv_count": Field("vg", "#PV", 0, "num", lambda r: len(r.vg.pvs) if r.vg else 0),
    "lv_count": Field("vg", "#LV", 0, "num", lambda r: len(r.vg.lvs) if r.vg else 0),
    "snap_count": Field("vg", "#SN", 0, "num", lambda r: len(_snaps(r)) if r.vg else 0),
    "max_lv": Field("vg", "MaxLV", 0, "num", lambda r: 0),
    "max_pv": Field("vg", "MaxPV", 0, "num", lambda r: 0),
    # LVs
    "lv_name": Field("lv", "LV", 4, "str", lambda r: _lv(r).name),
    "lv_full_name": Field("lv", "LV", 4, "str", lambda r: _lv(r).full_name),
    "lv_path": Field("lv", "Path", 0, "str", lambda r: _lv(r).path),
    "lv_dm_path": Field("lv", "DMPath", 0, "str", lambda r: _lv(r).dm_path),
    "lv_uuid": Field("lv", "LV UUID", 38, "str", lambda r: _lv(r).uuid),
    "lv_attr": Field("lv", "Attr", 0, "str",
                     lambda r: lv_attr(r.model, _lv(r), r.open_lvs, r.origins)),
    "lv_size": Field("lv", "LSize", 0, "size", lambda r: _lv(r).size_bytes),
    "lv_active": Field("lv", "Active", 0, "str", lambda r: "active" if _lv(r).active else ""),
    "lv_host": Field("lv", "Host", 10, "str", lambda r: _lv(r).host),
    "lv_time": Field("lv", "CTime", 26, "str", lambda r: _lv(r).created),
    "lv_kernel_major": Field("lv", "KMaj", 0, "num", lambda r: 254),
    "lv_kernel_minor": Field("lv", "KMin", 0, "num", lambda r: _lv(r).minor),
    "lv_device_open": Field("lv", "DevOpen", 10, "str",
                            lambda r: "open" if _lv(r).full_name in r.open_lvs else ""),
    "seg_count": Field("lv", "#Seg", 0, "num", lambda r: len(_lv(r).segments)),
    "origin": Field("lv", "Origin", 0, "str", lambda r: _lv(r).origin or ""),
    "origin_size": Field("lv", "OSize", 0, "size", lambda r: _origin_size(r)),
    "pool_lv": Field("lv", "Pool", 0, "str", lambda r: ""),
    "data_percent": Field("lv", "Data%", 6, "num", lambda r: "0.00" if _lv(r).origin else ""),
    "snap_percent": Field("lv", "Snap%", 6, "num", lambda r: "0.00" if _lv(r).origin else ""),
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
                      lambda r: r.seg.count * _lv(r).extent_size),  # type: ignore
    "seg_size_pe": Field("seg", "SSize", 0, "num", lambda r: r.seg.count),  # type: ignore
    "segtype": Field("seg", "Type", 0, "str", lambda r: "linear"),
}


def _origin_size(r: Row) -> int | None:
    lv = _lv(r)
    origin = _vg(r).lv(lv.origin) if lv.origin else None
    return origin.size_bytes if origin else None   # None: printed empty, not "0 "


class UnknownField(Exception):
    pass


def resolve_fields(kind: str, options: list[str]) -> list[str]:
    """The field list for ``-o`` options (``+f`` appends to the defaults)."""
    fields = DEFAULTS[kind].split(",")
    for opt in options:
        if opt.startswith("+"):
            fields = fields + _names(kind, opt[1:])
        else:
            fields = _names(kind, opt)
    return fields


def _names(kind: str, text: str) -> list[str]:
    from fxkit.lab.lvm_report_all import ALL  # registers the *_all fields on first use
    out = []
    for name in (n.strip() for n in text.split(",") if n.strip()):
        if name in ALL:
            out += ALL[name].split(",")
            continue
        for candidate in (name, f"{kind}_{name}"):
            if candidate in FIELDS:
                out.append(candidate)
                break
        else:
            raise UnknownField(name)
    return out


@dataclass
class ReportOptions:
    units: str = "r"
    suffix: bool = True
    headings: bool = True
    separator: str | None = None
    aligned: bool = False
    nameprefixes: bool = False
    json: bool = False


def render(kind: str, fields: list[str], rows: list[Row], opts: ReportOptions) -> str:
    """The report text for ``rows`` (already selected and in lvm2's order)."""
    if any(FIELDS[f].scope == "seg" for f in fields) and kind == "lv":
        rows = [Row(r.model, r.pv, r.vg, r.lv, s, r.open_lvs, r.origins) for r in rows
                for s in (r.lv.segments if r.lv else [])]
    table = [[_value(FIELDS[f], r, opts) for f in fields] for r in rows]
    if opts.json:
        return _json(kind, fields, table)
    if not table:
        return ""
    lines = []
    if opts.nameprefixes:
        for vals in table:
            pairs = zip(fields, vals, strict=True)
            lines.append("  " + " ".join(f"LVM2_{f.upper()}='{v}'" for f, v in pairs))
        return "".join(line + "\n" for line in lines)
    if opts.separator is not None and not opts.aligned:
        if opts.headings:
            lines.append("  " + opts.separator.join(FIELDS[f].heading for f in fields))
        lines += ["  " + opts.separator.join(vals) for vals in table]
        return "".join(line + "\n" for line in lines)
    widths = []
    for i, f in enumerate(fields):
        w = max([FIELDS[f].width] + [len(v[i]) for v in table])
        if opts.headings:
            w = max(w, len(FIELDS[f].heading))
        widths.append(w)
    sep = opts.separator if opts.separator is not None else " "
    if opts.headings:
        heads = zip(fields, widths, strict=True)
        lines.append("  " + sep.join(FIELDS[f].heading.ljust(w) for f, w in heads))
    for vals in table:
        cells = [v.ljust(w) if FIELDS[f].kind == "str" else v.rjust(w)
                 for f, v, w in zip(fields, vals, widths, strict=True)]
        lines.append("  " + sep.join(cells))
    return "".join(line + "\n" for line in lines)


def _value(field: Field, row: Row, opts: ReportOptions) -> str:
    value = field.get(row)
    if value is None:
        return ""
    if field.kind == "size":
        return format_size(int(value), opts.units, suffix=opts.suffix)
    return str(value)


def _json(kind: str, fields: list[str], table: list[list[str]]) -> str:
    # libdm-report.c: 2-space base indent, 4 more per level, one object per line.
    out = ["  {", '      "report": [', "          {", f'              "{kind}": [']
    items = ["{" + ", ".join(f"{json.dumps(f)}:{json.dumps(v)}"
                             for f, v in zip(fields, vals, strict=True))
             + "}" for vals in table]
    out += ["                  " + item + ("," if i < len(items) - 1 else "")
            for i, item in enumerate(items)]
    out += ["              ]", "          }", "      ]", "  }"]
    return "\n".join(out) + "\n"
