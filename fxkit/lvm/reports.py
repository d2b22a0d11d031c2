"""lvm2's JSON reports (``pvs``/``vgs``/``lvs --reportformat json --units b --nosuffix``)
parsed strictly: a report that is not lvm2's JSON, a row of the wrong shape or a field of
the wrong type is a ParseError naming the command and showing an excerpt.

``parse_lvs_json`` is built for 10,000 LVs (bench/scale.py: within 2x of ``json.loads`` of
the same text). Building the records costs about as much as ``json.loads`` itself, so the
JSON is decoded by msgspec straight into typed rows (no dicts; a field that is not a
string fails there), and a well-formed report (one row per LV, one segment each) is then
read column by column with C-level ``map``/``zip`` and joins. Anything else goes through
the row-by-row reader, which merges an LV's segment rows and names the row at fault; both
give the same LVs (tests/test_lvm_parsers.py checks it).
"""

from __future__ import annotations

import gc
import json
from itertools import repeat
from typing import Any

import msgspec

from fxkit.errors import ParseError
from fxkit.excerpt import excerpt
from fxkit.lvm.records import LogicalVolume, LvAttr, PhysicalVolume, Segment, VolumeGroup

_MAX_DIGITS = 20          # lvm2 counts in 64 bits: 2**64 has 20 digits
def _rows(text: str, kind: str) -> list[Any]:
    command = f"`{kind}s --reportformat json`"
    if not isinstance(text, str):
        raise ParseError(f"{command}: expected its text output, got {type(text).__name__}")
    try:
        rows = json.loads(text)["report"][0][kind]
    except (ValueError, KeyError, IndexError, TypeError, RecursionError) as e:
        raise ParseError(f"{command} printed something that is not an lvm2 JSON report "
                         f"({type(e).__name__}: {str(e)[:80]}): {excerpt(text)}") from None
    if not isinstance(rows, list):
        raise ParseError(f"{command}: '{kind}' in the JSON report is a "
                         f"{type(rows).__name__}, not a list: {excerpt(text)}")
    return rows


def _bad_row(kind: str, row: object, e: Exception) -> ParseError:
    why = f"lacks {e}" if isinstance(e, KeyError) else str(e) or type(e).__name__
    return ParseError(f"`{kind}s --reportformat json`: row {excerpt(row)} cannot be read "
                      f"({why}); fxkit reads it with --units b --nosuffix")


def _str(row: dict[str, Any], key: str, default: str | None = "") -> str:
    value = row[key] if default is None else row.get(key, default)
    if type(value) is not str:
        raise ValueError(f"field {key}={value!r:.40} is not a string")
    return value


def _int(row: dict[str, Any], key: str, default: int = 0) -> int:
    value = _str(row, key).strip()
    if value == "":
        return default
    if not (value.isascii() and value.isdecimal() and len(value) <= _MAX_DIGITS):
        raise ValueError(f"field {key}={value[:40]!r} is not a byte count")
    return int(value)


def _parse(kind: str, text: str, make: Any) -> list[Any]:
    out = []
    for row in _rows(text, kind):
        try:
            out.append(make(row))
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise _bad_row(kind, row, e) from None
    return out


def parse_pvs_json(text: str) -> list[PhysicalVolume]:
    return _parse("pv", text, lambda r: PhysicalVolume(
        _str(r, "pv_name", None), _str(r, "vg_name") or None, _str(r, "pv_fmt"),
        _str(r, "pv_attr"), _int(r, "pv_size"), _int(r, "pv_free"), _str(r, "pv_uuid"),
        _int(r, "dev_size"), _int(r, "pe_start"), _int(r, "pv_pe_count"),
        _int(r, "pv_pe_alloc_count")))


def parse_vgs_json(text: str) -> list[VolumeGroup]:
    return _parse("vg", text, lambda r: VolumeGroup(
        _str(r, "vg_name", None), _str(r, "vg_uuid"), _str(r, "vg_attr"), _int(r, "vg_size"),
        _int(r, "vg_free"), _int(r, "vg_extent_size"), _int(r, "vg_extent_count"),
        _int(r, "vg_free_count"), _int(r, "pv_count"), _int(r, "lv_count"),
        _int(r, "snap_count"), _int(r, "vg_seqno")))


_LV_KEYS = ("lv_name", "vg_name", "lv_attr", "lv_size", "lv_uuid", "lv_path", "lv_dm_path",
            "origin", "data_percent", "devices")
_new = tuple.__new__


class _LvRow(msgspec.Struct, gc=False):
    """One row of ``lvs --reportformat json -o LV_FIELDS``, every field a string."""

    lv_name: str
    vg_name: str
    lv_attr: str = "-" * 10
    lv_size: str = ""
    lv_uuid: str = ""
    lv_path: str = ""
    lv_dm_path: str = ""
    origin: str = ""
    data_percent: str = ""
    devices: str = ""


class _LvReport(msgspec.Struct, gc=False):
    lv: list[_LvRow]


class _Lvs(msgspec.Struct, gc=False):
    report: list[_LvReport]


_lvs_decoder = msgspec.json.Decoder(_Lvs)
_astuple = msgspec.structs.astuple        # a row's fields in order, in C


def parse_lvs_json(text: str) -> list[LogicalVolume]:
    """LVs from an lvs JSON report; the rows of one LV's segments (``devices``) are merged.

    The cyclic GC is paused meanwhile: the records hold no cycles, and it would scan them
    again and again while they are made."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _columns(text) or _by_row(_rows(text, "lv"))
    finally:
        if enabled:
            gc.enable()


def _columns(text: str) -> list[LogicalVolume] | None:
    """The LVs of a well-formed report (one ``lv`` list, every field a string, each LV one
    row with one segment, sizes plain numbers), or None for anything else."""
    try:
        reports = _lvs_decoder.decode(text).report if isinstance(text, str) else ()
    except (msgspec.MsgspecError, ValueError, UnicodeError, RecursionError):
        return None
    if len(reports) != 1 or not reports[0].lv:
        return None
    rows = reports[0].lv
    n = len(rows)
    names, vgs, raws, sizes, uuids, paths, dms, origins, pcts, devs = \
        zip(*map(_astuple, rows), strict=True)
    if len(set(names)) != n and len(set(zip(vgs, names, strict=True))) != n:
        return None                              # an LV in several rows: merge row by row
    joined = "\n".join(devs)                    # PV(EXTENT) each: one "(", one ")" at its end
    if "" in devs or joined.count("(") != n or joined.count(")") != n \
            or joined.count(")\n") != n - 1 or not joined.endswith(")"):
        return None
    parts = joined.replace("(", "\n").replace(")", "").split("\n")
    pes = parts[1::2]
    if len(parts) != 2 * n or not _numbers(pes) or not _numbers(sizes):
        return None
    try:
        attr_of = {raw: LvAttr(raw) for raw in set(raws)}
    except ParseError:
        return None
    segments = zip(map(_new, repeat(Segment), zip(parts[0::2], map(int, pes), strict=True)),
                   strict=True)
    return list(map(_new, repeat(LogicalVolume), zip(
        names, vgs, map(attr_of.__getitem__, raws), map(int, sizes), uuids, paths, dms,
        origins, pcts, segments, strict=True)))


def _numbers(column: tuple[str, ...] | list[str]) -> bool:
    """Every item is a plain decimal number of at most 20 digits."""
    joined = "".join(column)
    return "" not in column and joined.isascii() and joined.isdecimal() and \
        max(map(len, column), default=0) <= _MAX_DIGITS


def _by_row(rows: list[Any]) -> list[LogicalVolume]:
    """Row by row: rows of one LV's segments merged (next to each other, as lvm2 prints
    them, or not), optional fields empty, the bad row named."""
    out: list[LogicalVolume] = []
    where: dict[tuple[str, str], int] = {}
    attrs: dict[str, LvAttr] = {}
    row: Any = None
    try:
        for row in rows:
            if not isinstance(row, dict):
                raise ValueError("a row is not an object")
            name, vg, raw = row["lv_name"], row["vg_name"], row.get("lv_attr", "-" * 10)
            fields = [row.get(k, "") for k in _LV_KEYS[3:]]
            if not all(type(v) is str for v in (name, vg, raw, *fields)):
                raise ValueError("every field must be a string")
            size, devices = fields[0].strip(), fields[-1]
            if size and not (size.isascii() and size.isdecimal() and len(size) <= _MAX_DIGITS):
                raise ValueError(f"lv_size={size[:40]!r} is not a byte count")
            seg: tuple[Segment, ...] = ()
            if "(" in devices:
                pv, _, pe = devices.rpartition("(")
                if not (pe.endswith(")") and pe[:-1].isascii() and pe[:-1].isdecimal()
                        and len(pe) <= _MAX_DIGITS):
                    raise ValueError(f"devices={devices[:60]!r} is not PV(EXTENT)")
                seg = (Segment(pv, int(pe[:-1])),)
            if (vg, name) in where:
                i = where[vg, name]
                out[i] = out[i]._replace(segments=out[i].segments + seg)
                continue
            if raw not in attrs:
                attrs[raw] = LvAttr(raw)
            where[vg, name] = len(out)
            out.append(LogicalVolume(name, vg, attrs[raw], int(size or 0), *fields[1:-1], seg))
    except (KeyError, ValueError) as e:
        raise _bad_row("lv", row, e) from None
    return out
