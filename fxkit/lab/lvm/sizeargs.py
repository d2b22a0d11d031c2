"""The lab's reading of lvm2's -L/-l arguments and its percent and rounding rules.

Ported from lvm2 2.03.16: ``tools/lvmcmdline.c`` (``_size_arg``, ``_get_int_arg``,
``_extents_arg``, ``_get_percent_arg``, size_mb/extents validators),
``tools/lvcreate.c`` (``_read_size_params``, ``_update_extents_params``) and
``lib/metadata/lv_manip.c`` (``_lvresize_adjust_extents``); behaviours the
differential test (tests/support/lvm_diff.py) found on the real tool are noted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fxkit.lab.lvm.args import Args, UsageError
from fxkit.lab.lvm.common import USAGE, Failed

SIZE_OPTS = {"-L": ("size", True), "--size": ("size", True), "-l": ("extents", True),
             "--extents": ("extents", True)}

# strtod on a decimal number (hex floats, inf and nan are left out: no one types them)
_NUMBER = re.compile(r"(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_SUFFIXES = "kmgtpebs"
# _get_percent_arg: every accepted spelling, case-insensitive
_PERCENT = {"v": "VG", "vg": "VG", "l": "LV", "lv": "LV", "p": "PVS", "pv": "PVS", "pvs": "PVS",
            "f": "FREE", "fr": "FREE", "free": "FREE", "o": "ORIGIN", "or": "ORIGIN",
            "origin": "ORIGIN"}


@dataclass(frozen=True)
class SizeArg:
    """One -L (``sectors``) or -l (``number``, ``percent``) value as lvm2 holds it."""

    option: str           # "--size" or "--extents"
    sign: str             # "", "+" or "-"
    sectors: int = 0
    number: int = 0
    percent: str = ""     # VG, FREE, PVS, LV, ORIGIN or ""

    @property
    def zero(self) -> bool:
        return (self.sectors if self.option == "--size" else self.number) == 0


def _bad(option: str, value: str, *why: str) -> UsageError:
    return UsageError("".join(f"  {w}\n" for w in why) + f"  Invalid argument for {option}: "
                      f"{value}\n  Error during parsing of command line.")


def _sign(value: str) -> tuple[str, str]:
    return (value[0], value[1:]) if value[:1] in "+-" and value else ("", value)


def parse_size_arg(value: str) -> SizeArg:
    """``-L`` as ``_size_arg`` (default unit MiB) reads it: sectors, truncated."""
    sign, val = _sign(value)
    if val[:1] in "+-" and val:
        raise _bad("--size", value, "Multiple sign symbols detected.")
    if not val or not (val[0].isdigit() or val[0] == "."):
        raise _bad("--size", value, "Size requires number argument.")
    m = _NUMBER.match(val)
    if not m:
        raise _bad("--size", value, f"Can't parse size argument at '{val[:1]}'.")
    v = float(m.group(0))
    rest = val[m.end():]
    if rest:        # only the first character after the number counts (5MB is 5M)
        unit = rest[0].lower()
        if unit not in _SUFFIXES:
            raise _bad("--size", value, "Can't parse size argument.")
        if unit == "b":
            whole = int(v)
            if whole % 512:
                up = whole + 512 - whole % 512
                raise _bad("--size", value, f"Size is not a multiple of 512. Try using {up - 512} "
                                            f"or {up}.")
            v /= 512
        elif unit != "s":
            v *= 1024 ** _SUFFIXES.index(unit) * 2
    else:
        v *= 2048
    return SizeArg("--size", sign, sectors=int(v))


def parse_extents_arg(value: str) -> SizeArg:
    """``-l`` as ``_extents_arg`` reads it: a count, or a percentage of VG/FREE/PVS/LV/ORIGIN."""
    sign, val = _sign(value)
    m = re.match(r"\d+", val)
    if not m:
        raise _bad("--extents", value)
    rest = val[m.end():]
    if not rest:
        return SizeArg("--extents", sign, number=int(m.group(0)))
    if rest[0] != "%":
        raise _bad("--extents", value)
    of = _PERCENT.get(rest[1:].lower())
    if of is None:
        raise _bad("--extents", value, f"Specified %{rest[1:]} is unknown.")
    return SizeArg("--extents", sign, number=int(m.group(0)), percent=of)


def read_size_args(prog: str, a: Args) -> tuple[SizeArg | None, SizeArg | None]:
    """(-L, -l) checked as the command's validators do: lvcreate and lvextend take no
    negative values, lvreduce no positive ones, lvresize either."""
    out: list[SizeArg | None] = []
    for name, parse in (("size", parse_size_arg), ("extents", parse_extents_arg)):
        raw = a.get(name)
        arg = parse(raw) if raw is not None else None
        if arg is not None:
            what = "Size" if name == "size" else "Extents"
            if arg.sign == "-" and prog in ("lvcreate", "lvextend"):
                raise _bad(arg.option, raw or "", f"{what} may not be negative.")
            if arg.sign == "+" and prog == "lvreduce":
                raise _bad(arg.option, raw or "", f"{what} may not be positive.")
        out.append(arg)
    return out[0], out[1]


def percent_of(percent: int, count: int, roundup: bool) -> int:
    """lvm2's ``percent_of_extents``: lvcreate rounds down, resizes (not shrinks) up."""
    return (percent * count + (99 if roundup else 0)) // 100


def rounded_extents(sectors: int, extent_size: int, *, down: bool = False) -> tuple[int, bool]:
    """Extents for a byte size, rounded up as ``extents_from_size`` does (down for a
    reduction by -N, as lvreduce does); (count, rounded)."""
    nbytes = sectors * 512
    count = nbytes // extent_size if down else -(-nbytes // extent_size)
    return count, count * extent_size != nbytes


def no_repeats(prog: str, a: Args, *options: tuple[str, str]) -> None:
    """lvm2 refuses a value option given twice ("Option -n/--name may not be repeated.")."""
    for shown, name in options:
        if a.count(name) > 1:
            raise UsageError(f"  Option {shown} may not be repeated.\n"
                             "  Error during parsing of command line.")


def zero_or_both(prog: str, size: SizeArg | None, extents: SizeArg | None) -> None:
    """lvm2 refuses a zero -L/-l, then -L with -l, as command-line errors (exit 3)."""
    for arg in (extents, size):     # _read_size_params lists extents_ARG before size_ARG
        if arg is not None and arg.zero:
            raise Failed(f"{arg.option} may not be zero.",
                         f"Run `{prog} --help' for more information.", status=USAGE)
    if size is not None and extents is not None:
        both = "(not both)" if prog == "lvcreate" else "but not both"
        raise Failed(f"Please specify either size or extents {both}.",
                     f"Run `{prog} --help' for more information.", status=USAGE)
