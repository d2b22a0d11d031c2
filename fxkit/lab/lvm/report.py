"""pvs/vgs/lvs reports in the lab: field lists, units, column layout and JSON, as lvm2
prints them.

The layout (two-space indent, headings left-aligned, numbers right-aligned, every
column padded, ``--separator`` meaning unaligned, the JSON indentation) is libdm's
``libdm-report.c`` as captured in tests/fixtures/lvm; the fields are in ``fields``
and ``report_all``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from fxkit.lab.lvm.fields import Field, Row
from fxkit.lab.lvm.report_all import ALL, ALL_FIELDS
from fxkit.lvm.sizes import format_size

DEFAULTS = {
    "pv": "pv_name,vg_name,pv_fmt,pv_attr,pv_size,pv_free",
    "vg": "vg_name,pv_count,lv_count,snap_count,vg_attr,vg_size,vg_free",
    "lv": "lv_name,vg_name,lv_attr,lv_size,pool_lv,origin,data_percent,metadata_percent,"
          "move_pv,mirror_log,copy_percent,convert_lv",
}
SORT = {"pv": ("pv_name",), "vg": ("vg_name",), "lv": ("vg_name", "lv_name")}


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
    out = []
    for name in (n.strip() for n in text.split(",") if n.strip()):
        if name in ALL:
            out += ALL[name].split(",")
            continue
        for candidate in (name, f"{kind}_{name}"):
            if candidate in ALL_FIELDS:
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
    if any(ALL_FIELDS[f].scope == "seg" for f in fields) and kind == "lv":
        rows = [Row(r.model, r.pv, r.vg, r.lv, s, r.open_lvs, r.origins) for r in rows
                for s in (r.lv.segments if r.lv else [])]
    table = [[_value(ALL_FIELDS[f], r, opts) for f in fields] for r in rows]
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
            lines.append("  " + opts.separator.join(ALL_FIELDS[f].heading for f in fields))
        lines += ["  " + opts.separator.join(vals) for vals in table]
        return "".join(line + "\n" for line in lines)
    widths = []
    for i, f in enumerate(fields):
        w = max([ALL_FIELDS[f].width] + [len(v[i]) for v in table])
        if opts.headings:
            w = max(w, len(ALL_FIELDS[f].heading))
        widths.append(w)
    sep = opts.separator if opts.separator is not None else " "
    if opts.headings:
        heads = zip(fields, widths, strict=True)
        lines.append("  " + sep.join(ALL_FIELDS[f].heading.ljust(w) for f, w in heads))
    for vals in table:
        cells = [v.ljust(w) if ALL_FIELDS[f].kind == "str" else v.rjust(w)
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


_string = json.encoder.encode_basestring_ascii   # json.dumps of a str, without its setup


def _json(kind: str, fields: list[str], table: list[list[str]]) -> str:
    # libdm-report.c: 2-space base indent, 4 more per level, one object per line.
    out = ["  {", '      "report": [', "          {", f'              "{kind}": [']
    keys = [_string(f) + ":" for f in fields]
    items = ["{" + ", ".join([k + _string(v) for k, v in zip(keys, vals, strict=True)])
             + "}" for vals in table]
    out += ["                  " + item + ("," if i < len(items) - 1 else "")
            for i, item in enumerate(items)]
    out += ["              ]", "          }", "      ]", "  }"]
    return "\n".join(out) + "\n"
