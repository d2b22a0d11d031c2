"""Parsers for the classic ``pvdisplay``/``vgdisplay``/``lvdisplay`` text and ``-c`` forms.

Older hosts and the seminar use these. Both the lvm2 2.03 form ("PE Size 4.00 MiB",
"47.68 GiB") and the 2007 form ("PE Size (KByte) 4096", "47.68 GB") parse; sizes
printed rounded ("<8.10 GiB") are kept as text and as an approximate byte count,
while extent counts give the exact sizes::

    >>> pv = parse_pvdisplay(SEED_SAMPLE)[0]                  # doctest: +SKIP
    >>> pv.total_pe * pv.pe_size
    51195674624
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from fxkit.errors import ParseError
from fxkit.excerpt import excerpt

_UNITS = {"": 1, "B": 1, "KB": 1024, "KIB": 1024, "MB": 1024 ** 2, "MIB": 1024 ** 2,
          "GB": 1024 ** 3, "GIB": 1024 ** 3, "TB": 1024 ** 4, "TIB": 1024 ** 4,
          "PB": 1024 ** 5, "PIB": 1024 ** 5, "SE": 512}
_SIZE = re.compile(r"<?\s*([0-9]{1,20}(?:\.[0-9]{1,20})?)\s*([A-Za-z]*)\Z")


def display_bytes(text: str) -> int:
    """Approximate bytes for a display size ("<8.10 GiB", "47.68 GB", "0   ").

    lvm2 always used powers of 1024, even when it printed "GB".
    """
    m = _SIZE.match(text.strip())
    if not m or m.group(2).upper() not in _UNITS:
        raise ParseError(f"size {excerpt(text)} is not an lvm display size")
    return round(float(m.group(1)) * _UNITS[m.group(2).upper()])


@dataclass(frozen=True)
class Block:
    """One ``--- ... ---`` section: its title and its key/value lines in order."""

    title: str
    fields: dict[str, str] = field(default_factory=dict)

    def get(self, key: str, default: str = "") -> str:
        return self.fields.get(key, default)


_PV_KEYS = ("PV Name", "VG Name", "PV Size", "Allocatable", "PE Size (KByte)", "PE Size",
            "Total PE", "Free PE", "Allocated PE", "PV UUID", "PV Status",
            "Total PE / Free PE")
_VG_KEYS = ("VG Name", "System ID", "Format", "Metadata Areas", "Metadata Sequence No",
            "VG Access", "VG Status", "MAX LV", "Cur LV", "Open LV", "Max PV", "Cur PV",
            "Act PV", "VG Size", "PE Size", "Total PE", "Alloc PE / Size", "Free  PE / Size",
            "VG UUID", "Clustered", "Shared")
_LV_KEYS = ("LV Path", "LV Name", "VG Name", "LV UUID", "LV Write Access",
            "LV Creation host, time", "LV snapshot status", "LV Status", "# open", "LV Size",
            "Current LE", "COW-table size", "COW-table LE", "Allocated to snapshot",
            "Snapshot chunk size", "Segments", "Allocation", "Read ahead sectors",
            "- currently set to", "Block device", "Internal LV Name")


def parse_blocks(text: str, keys: tuple[str, ...] = _PV_KEYS + _VG_KEYS + _LV_KEYS) -> list[Block]:
    """Split display output into blocks; unknown lines (e.g. ``[...]``) are ignored."""
    ordered = sorted(set(keys), key=len, reverse=True)
    blocks: list[Block] = []
    for raw in text.splitlines():
        line = raw.strip()
        head = re.match(r"--- (.*) ---\Z", line)
        if head:
            blocks.append(Block(head.group(1)))
            continue
        if not blocks or not line:
            continue
        for key in ordered:
            if line == key or line.startswith(key + " ") or line.startswith(key + "\t"):
                blocks[-1].fields.setdefault(key, line[len(key):].strip())
                break
    return blocks


@dataclass(frozen=True)
class PvDisplay:
    name: str
    vg: str | None
    size_text: str
    unusable_text: str
    allocatable: bool
    pe_size: int
    total_pe: int
    free_pe: int
    allocated_pe: int
    uuid: str

    @property
    def size_bytes(self) -> int:
        """Approximate (the display rounds); ``total_pe * pe_size`` is exact."""
        return display_bytes(self.size_text)


def _int(block: Block, key: str) -> int:
    value = block.get(key)
    first = value.split()[0] if value.split() else ""
    if not (first.isascii() and first.isdecimal() and len(first) <= 20):
        raise ParseError(f"{excerpt(block.title)}: {key!r} is {excerpt(value)}, not a number")
    return int(first)


def parse_pvdisplay(text: str) -> list[PvDisplay]:
    out = []
    for b in parse_blocks(text, _PV_KEYS):
        if "Physical volume" not in b.title or b.title.endswith("volumes"):
            continue
        size, _, unusable = b.get("PV Size").partition(" / not usable ")
        if "PE Size (KByte)" in b.fields:
            pe_size = _int(b, "PE Size (KByte)") * 1024
        else:
            pe_size = display_bytes(b.get("PE Size", "0"))
        out.append(PvDisplay(b.get("PV Name"), b.get("VG Name") or None, size.strip(),
                             unusable.strip(), b.get("Allocatable").startswith("yes"), pe_size,
                             _int(b, "Total PE"), _int(b, "Free PE"), _int(b, "Allocated PE"),
                             b.get("PV UUID")))
    if not out and text.strip():
        raise ParseError("no '--- Physical volume ---' block in pvdisplay output")
    return out


@dataclass(frozen=True)
class VgDisplay:
    name: str
    seqno: int
    cur_lv: int
    open_lv: int
    cur_pv: int
    size_text: str
    pe_size: int
    total_pe: int
    alloc_pe: int
    free_pe: int
    uuid: str


def parse_vgdisplay(text: str) -> list[VgDisplay]:
    out = []
    for b in parse_blocks(text, _VG_KEYS):
        if b.title != "Volume group":
            continue
        pe = b.get("PE Size")
        out.append(VgDisplay(b.get("VG Name"), _int(b, "Metadata Sequence No"), _int(b, "Cur LV"),
                             _int(b, "Open LV"), _int(b, "Cur PV"), b.get("VG Size"),
                             display_bytes(pe), _int(b, "Total PE"),
                             _int(b, "Alloc PE / Size"), _int(b, "Free  PE / Size"),
                             b.get("VG UUID")))
    return out


@dataclass(frozen=True)
class LvDisplay:
    path: str
    name: str
    vg: str
    uuid: str
    status: str          # "available", "NOT available", or "" (no device-mapper)
    open_count: int | None
    size_text: str
    current_le: int
    segments: int
    snapshot_status: str
    block_device: str


def parse_lvdisplay(text: str) -> list[LvDisplay]:
    out = []
    for b in parse_blocks(text, _LV_KEYS):
        if b.title != "Logical volume":
            continue
        path = b.get("LV Path")
        name = b.get("LV Name")
        if not path and name.startswith("/dev/"):   # lvm1-compatible form: LV Name is a path
            path, name = name, name.rsplit("/", 1)[-1]
        out.append(LvDisplay(path, name, b.get("VG Name"), b.get("LV UUID"), b.get("LV Status"),
                             _int(b, "# open") if b.get("# open") else None, b.get("LV Size"),
                             _int(b, "Current LE"), _int(b, "Segments"),
                             b.get("LV snapshot status"), b.get("Block device")))
    return out


# -- colon forms (exact numbers) -------------------------------------------------------------

def _colon(text: str, fields: int, what: str) -> list[list[str]]:
    rows = []
    for line in text.splitlines():
        if not line.strip():
            continue
        parts = line.strip().split(":")
        if len(parts) != fields:
            raise ParseError(f"{what} -c line has {len(parts)} fields, expected {fields}: "
                             f"{excerpt(line)}")
        rows.append(parts)
    return rows


def parse_pvdisplay_colon(text: str) -> list[dict[str, str | int]]:
    keys = ("name", "vg", "size_sectors", "_", "status", "allocatable", "_2", "pe_size_kib",
            "total_pe", "free_pe", "allocated_pe", "uuid")
    return [_typed(dict(zip(keys, row, strict=True))) for row in _colon(text, 12, "pvdisplay")]


def parse_vgdisplay_colon(text: str) -> list[dict[str, str | int]]:
    keys = ("name", "access", "status", "_", "max_lv", "cur_lv", "open_lv", "_2", "max_pv",
            "cur_pv", "act_pv", "size_kib", "pe_size_kib", "total_pe", "alloc_pe", "free_pe",
            "uuid")
    return [_typed(dict(zip(keys, row, strict=True))) for row in _colon(text, 17, "vgdisplay")]


def parse_lvdisplay_colon(text: str) -> list[dict[str, str | int]]:
    keys = ("path", "vg", "access", "in_kernel", "_", "open_count", "size_sectors",
            "current_le", "_2", "allocation", "read_ahead", "major", "minor")
    return [_typed(dict(zip(keys, row, strict=True))) for row in _colon(text, 13, "lvdisplay")]


def _typed(row: dict[str, str]) -> dict[str, str | int]:
    out: dict[str, str | int] = {}
    for k, v in row.items():
        if k.startswith("_"):
            continue
        out[k] = int(v) if re.fullmatch(r"-?[0-9]{1,20}", v) and k not in ("name", "vg", "uuid") \
            else v
    return out
