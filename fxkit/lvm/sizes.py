"""LVM sizes: parse ``-L``/``-l`` arguments as lvm2 does, round to extents, format like lvm2.

Input units follow ``lvm(8)``: a number, optionally with a fraction, then one of
``b s k m g t p e`` in either case, all powers of 1024 (default ``m``)::

    >>> parse_size("+5G")
    SizeRequest(sign='+', kind='bytes', value=5368709120, percent_of='')
    >>> parse_extents("100%FREE").percent_of
    'FREE'
    >>> format_size(8694792192)
    '<8.10g'

``format_size`` ports libdm's ``dm_size_to_string`` (libdm/libdm-string.c).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction

from fxkit.errors import InvalidRequest

SECTOR = 512
_UNITS = {"b": 1, "s": 512, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3, "t": 1024 ** 4,
          "p": 1024 ** 5, "e": 1024 ** 6}
_SIZE = re.compile(r"([+-]?)([0-9]+(?:\.[0-9]*)?|\.[0-9]+)([bBsSkKmMgGtTpPeE]?)\Z")
_EXTENTS = re.compile(r"([+-]?)([0-9]+)(?:%(VG|FREE|PVS|ORIGIN))?\Z")
# lvm2 counts bytes and extents in 64 bits: a longer number is no size at all (and a
# 5,000-digit one would cost Python seconds to convert).
MAX_BYTES = 2 ** 64
_MAX_CHARS = 40


def _shown(text: str) -> str:
    return repr(text if len(text) <= _MAX_CHARS else text[:_MAX_CHARS] + "...")


@dataclass(frozen=True)
class SizeRequest:
    """A size as asked: ``sign`` '', '+' or '-'; ``kind`` 'bytes', 'extents' or 'percent'."""

    sign: str
    kind: str
    value: int
    percent_of: str = ""

    def __str__(self) -> str:
        if self.kind == "bytes":
            return f"{self.sign}{human(self.value)}"
        if self.kind == "percent":
            return f"{self.sign}{self.value}%{self.percent_of}"
        return f"{self.sign}{self.value} extents"


def parse_size(text: str, *, allow_sign: bool = True) -> SizeRequest:
    """An ``-L`` argument (``10G``, ``512M``, ``+5G``, ``1.5g``; default unit MiB)."""
    m = _SIZE.match(text.strip()) if len(text) <= _MAX_CHARS else None
    if not m:
        raise InvalidRequest(f"size {_shown(text)} is not understood: write a number and a unit, "
                             "e.g. 10G, 512M, +5G (units b s k m g t p e, powers of 1024)")
    sign, number, unit = m.groups()
    if sign and not allow_sign:
        raise InvalidRequest(f"size {_shown(text)}: a new LV's size cannot be relative; "
                             f"drop {sign!r}")
    value = math.ceil(Fraction(number) * _UNITS[(unit or "m").lower()])
    if value >= MAX_BYTES:
        raise InvalidRequest(f"size {_shown(text)} is larger than lvm2 can count (16 EiB): "
                             "check the number and the unit")
    return SizeRequest(sign, "bytes", value)


def parse_extents(text: str, *, allow_sign: bool = True) -> SizeRequest:
    """An ``-l`` argument: ``50``, ``+10``, ``100%FREE``, ``50%VG``."""
    m = _EXTENTS.match(text.strip()) if len(text) <= _MAX_CHARS else None
    if not m:
        raise InvalidRequest(f"extent count {_shown(text)} is not understood: write e.g. 50, +10, "
                             "100%FREE or 50%VG")
    sign, number, of = m.groups()
    if sign and not allow_sign:
        raise InvalidRequest(f"extent count {_shown(text)}: a new LV's size cannot be relative")
    if int(number) >= MAX_BYTES:
        raise InvalidRequest(f"extent count {_shown(text)} is larger than lvm2 can count")
    if of:
        return SizeRequest(sign, "percent", int(number), of)
    return SizeRequest(sign, "extents", int(number))


@dataclass(frozen=True)
class ExtentTarget:
    """The LV size a request comes to, in extents, and what rounding happened."""

    extents: int
    note: str = ""


def target_extents(req: SizeRequest, *, extent_size: int, current: int = 0,
                   vg_extents: int = 0, vg_free: int = 0, origin: int = 0) -> ExtentTarget:
    """Resolve ``req`` against an LV of ``current`` extents (0 for a new LV).

    Byte sizes are rounded up to whole extents, as lvm2 does, and the note says so.
    """
    note = ""
    if req.kind == "bytes":
        count = -(-req.value // extent_size)
        if count * extent_size != req.value:
            note = (f"{human(req.value)} is not a whole number of {human(extent_size)} "
                    f"extents: rounded up to {count} extents ({human(count * extent_size)})")
    elif req.kind == "extents":
        count = req.value
    else:
        base = {"VG": vg_extents, "FREE": vg_free, "PVS": vg_extents, "ORIGIN": origin}
        count = base[req.percent_of] * req.value // 100
    if req.sign == "+":
        return ExtentTarget(current + count, note)
    if req.sign == "-":
        return ExtentTarget(current - count, note)
    if req.kind == "percent" and req.percent_of == "FREE" and current:
        return ExtentTarget(current + count, note)
    return ExtentTarget(count, note)


# -- output: a port of libdm's dm_size_to_string -----------------------------------------

_PREFIXES = "eptgmk"


def format_size(size_bytes: int, units: str = "r", *, suffix: bool = True,
                long: bool = False) -> str:
    """``size_bytes`` as lvm2 prints it with ``--units units`` (default 'r': human, with '<').

    ``long=True`` gives the display commands' form ("8.00 GiB") instead of the
    reports' ("8.00g").
    """
    si = {"k": " KiB", "m": " MiB", "g": " GiB", "t": " TiB", "p": " PiB", "e": " EiB"}
    dec = {"K": " kB", "M": " MB", "G": " GB", "T": " TB", "P": " PB", "E": " EB"}
    if size_bytes == 0:
        if units in "hHrR":
            return ("0   " if long else "0 ") if suffix else "0"
        return "0" + (_suffix(units, long, si, dec) if suffix else "")
    prefix = ""
    if units in "hHrR":
        base = 1000 if units in "HR" else 1024
        byte = base ** 6
        s = 0
        while s < 6 and size_bytes < byte:
            byte //= base
            s += 1
        if s < 6:
            unit = _PREFIXES[s] if base == 1024 else _PREFIXES[s].upper()
            if units in "rR":
                d = Fraction(100 * size_bytes, byte)
                if math.floor(d) != round(d):
                    prefix = "<"
        else:
            unit = "b" if base == 1024 else "B"
        suffix = True
    else:
        unit = units
        byte = _UNITS.get(units.lower(), 1) if units not in "KMGTPE" else \
            1000 ** ("KMGTPE".index(units) + 1)
    precision = 0 if unit.lower() in "bs" else 2
    text = f"{prefix}{size_bytes / byte:.{precision}f}"
    return text + (_suffix(unit, long, si, dec) if suffix else "")


def _suffix(unit: str, long: bool, si: dict[str, str], dec: dict[str, str]) -> str:
    if unit.lower() == "b":
        return " B" if long else "B"
    if unit.lower() == "s":
        return " Se" if long else "S"
    if long:
        return si.get(unit) or dec.get(unit, "")
    return unit


def human(size_bytes: int) -> str:
    """Short human form for messages ("8.00 GiB", "<8.10 GiB")."""
    return format_size(size_bytes, long=True)
