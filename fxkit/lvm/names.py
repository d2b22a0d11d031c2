"""LVM names: VG/LV name rules as lvm2 applies them, device-mapper names and LV paths.

The rules follow lvm2's ``lib/misc/lvm-string.c`` (``_validate_name``,
``apply_lvname_restrictions``) and what ``tools/toollib.c`` and ``vgcreate``
add on top (a VG name must not already exist under ``/dev``)::

    >>> lv_name_problem("secours-root") is None
    True
    >>> dm_name("lvm", "secours-root")
    'lvm-secours--root'
    >>> split_dm_name("lvm-secours--root")
    ('lvm', 'secours-root', '')
"""

from __future__ import annotations

import re
import string
from collections.abc import Collection
from dataclasses import dataclass

from fxkit.errors import InvalidRequest

NAME_LEN = 128  # lvm2 lib/misc/lvm-string.h: names must be shorter than this
_ALLOWED = frozenset(string.ascii_letters + string.digits + "._-+")
# lib/misc/lvm-string.c: _lvname_has_reserved_prefix / _reserved_component_string / _reserved_string
RESERVED_LV_PREFIXES = ("pvmove", "snapshot")
RESERVED_LV_STRINGS = ("_cdata", "_cmeta", "_corig", "_mimage", "_mlog", "_rimage", "_rmeta",
                       "_tdata", "_tmeta", "_vdata", "_pmspare", "_vorigin")


def name_problem(name: str) -> str | None:
    """Why lvm2's ``_validate_name`` refuses ``name`` (VG or LV), or None if it accepts it."""
    if not name:
        return "the name is empty"
    if name.startswith("-"):
        return "a name cannot start with a hyphen ('-' separates VG and LV in device names)"
    if name in (".", ".."):
        return "'.' and '..' are not allowed as names"
    bad = sorted({c for c in name if c not in _ALLOWED})
    if bad:
        shown = "".join(bad)
        return f"it contains {shown!r}; only letters, digits and . _ - + are allowed"
    if len(name) >= NAME_LEN:
        return f"it is {len(name)} characters long; the limit is {NAME_LEN - 1}"
    return None


def lv_name_problem(name: str, vg: str | None = None) -> str | None:
    """Why lvm2 refuses ``name`` as a new LV name (in VG ``vg`` if given), or None."""
    if "/" in name:
        return "'/' separates VG and LV: give the bare LV name (and the VG separately)"
    if problem := name_problem(name):
        return problem
    for prefix in RESERVED_LV_PREFIXES:
        if name.startswith(prefix):
            return f"names starting {prefix!r} are reserved by lvm2"
    for part in RESERVED_LV_STRINGS:
        if part in name:
            return f"names including {part!r} are reserved by lvm2 for internal LVs"
    # lvm2 refuses "VG/LV" display names of 128 bytes or more, counting 3 more bytes
    # than len(VG) + len(LV) (seen on lvm2 2.03.16: "LV name ... length N is not supported").
    if vg is not None and len(vg) + len(name) + 3 >= NAME_LEN:
        return (f"VG name + LV name are {len(vg) + len(name)} characters; lvm2 allows at "
                f"most {NAME_LEN - 4}")
    return None


def vg_name_problem(name: str, dev_entries: Collection[str] = ()) -> str | None:
    """Why ``vgcreate`` refuses ``name``; ``dev_entries`` are the names present in /dev."""
    if "/" in name:
        return "a VG name cannot contain '/'"
    if problem := name_problem(name):
        return problem
    if name in dev_entries:
        return f"/dev/{name} already exists on the host, and the VG would live in /dev/{name}"
    return None


def validate_lv_name(name: str, vg: str | None = None) -> str:
    """Return ``name`` or raise InvalidRequest saying what is wrong and how to fix it."""
    if problem := lv_name_problem(name, vg):
        raise InvalidRequest(f"LV name {name!r} is refused: {problem}. Choose a name "
                             "like 'web-root' (letters, digits, . _ - +, not starting "
                             "with '-')")
    return name


def validate_vg_name(name: str, dev_entries: Collection[str] = ()) -> str:
    if problem := vg_name_problem(name, dev_entries):
        raise InvalidRequest(f"VG name {name!r} is refused: {problem}. Choose a name like "
                             "'vg0' (letters, digits, . _ - +, not starting with '-')")
    return name


# -- device-mapper names and paths ------------------------------------------------------

def dm_name(vg: str, lv: str, layer: str = "") -> str:
    """The device-mapper name: hyphens doubled, VG and LV joined by one hyphen
    (lvm2 lib/activate/dev_manager.c, ``dm_build_dm_name``)."""
    parts = [vg.replace("-", "--"), lv.replace("-", "--")]
    if layer:
        parts.append(layer)
    return "-".join(parts)


def split_dm_name(name: str) -> tuple[str, str, str]:
    """(vg, lv, layer) from a device-mapper name: the reverse of ``dm_name``."""
    out: list[list[str]] = [[]]
    i = 0
    while i < len(name):
        if name[i] == "-":
            if name[i + 1:i + 2] == "-":
                out[-1].append("-")
                i += 2
                continue
            out.append([])
        else:
            out[-1].append(name[i])
        i += 1
    words = ["".join(w) for w in out]
    if len(words) < 2 or not words[0] or not words[1] or len(words) > 3:
        raise InvalidRequest(f"{name!r} is not an LVM device-mapper name (VG-LV, with hyphens "
                             "inside names doubled, e.g. 'lvm-secours--root')")
    return words[0], words[1], words[2] if len(words) == 3 else ""


def dm_path(vg: str, lv: str) -> str:
    return "/dev/mapper/" + dm_name(vg, lv)


def lv_path(vg: str, lv: str) -> str:
    return f"/dev/{vg}/{lv}"


@dataclass(frozen=True)
class LvRef:
    """A reference to one LV, whatever way it was written."""

    vg: str
    lv: str

    @property
    def full_name(self) -> str:
        return f"{self.vg}/{self.lv}"

    @property
    def path(self) -> str:
        return lv_path(self.vg, self.lv)

    @property
    def dm_path(self) -> str:
        return dm_path(self.vg, self.lv)

    def __str__(self) -> str:
        return self.full_name


_XEN_PREFIX = re.compile(r"^(phy|file|tap:aio|tap:qcow2?|tap2?:[a-z0-9]+):")


def parse_lv_ref(text: str) -> LvRef:
    """``vg/lv``, ``/dev/vg/lv``, ``/dev/mapper/vg-lv`` or ``phy:/dev/...`` -> LvRef."""
    raw = _XEN_PREFIX.sub("", text.strip())
    if raw.startswith("/dev/mapper/"):
        vg, lv, layer = split_dm_name(raw[len("/dev/mapper/"):])
        if layer:
            raise InvalidRequest(f"{text!r} is an internal LVM device ({layer!r} layer), "
                                 "not a logical volume")
        return LvRef(vg, lv)
    if raw.startswith("/dev/"):
        raw = raw[len("/dev/"):]
    parts = raw.split("/")
    if len(parts) != 2 or not all(parts):
        raise InvalidRequest(f"{text!r} does not name a logical volume: write VG/LV "
                             "(e.g. lvm/secours-root), /dev/VG/LV or /dev/mapper/VG-LV")
    return LvRef(parts[0], parts[1])
