"""The LVM facts and steps the Xen side needs: which LV a disk path names, VG space, lvcreate.

``fxkit.lvm`` is the full LVM module; this file keeps the Xen plans and the
doctor working on their own small reader (two JSON reports) and builds the
``lvcreate``/``lvremove`` steps behind ``lv_create_step``/``lv_remove_step``,
which use ``fxkit.lvm``'s planners when that module provides them::

    >>> lv_for_path("/dev/mapper/lvm-secours--root")
    ('lvm', 'secours-root')
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fxkit.errors import InvalidRequest, ParseError
from fxkit.plan import Step

if TYPE_CHECKING:
    from fxkit.host import Host

_UNITS = {"": 1024**2, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([bkmgt]?)(?:i?b)?\s*$", re.IGNORECASE)


def parse_size(text: str | int) -> int:
    """Bytes from ``4G``, ``512M``, ``1.5g`` or an int of bytes (units are powers of 1024)."""
    if isinstance(text, int):
        return text
    m = _SIZE.match(text)
    if m is None:
        raise InvalidRequest(f"size {text!r}: write a number and a unit, e.g. 4G or 512M")
    return int(float(m[1]) * _UNITS[m[2].lower()])


def lv_for_path(path: str) -> tuple[str, str] | None:
    """(vg, lv) named by ``/dev/VG/LV`` or ``/dev/mapper/VG-LV`` (dashes doubled), else None.

    Device-mapper escapes a ``-`` inside a VG or LV name as ``--`` (lvm2
    ``lib/misc/lvm-string.c``, ``build_dm_name``); the single ``-`` splits them.
    """
    path = path.strip()
    if path.startswith("/dev/mapper/"):
        name = path[len("/dev/mapper/"):]
        m = re.fullmatch(r"((?:[^-]|--)+)-((?:[^-]|--)+)", name)
        if m is None:
            return None
        return m[1].replace("--", "-"), m[2].replace("--", "-")
    parts = path.split("/")
    if len(parts) == 4 and parts[:2] == ["", "dev"] and parts[2] and parts[3]:
        if parts[2] in ("mapper", "disk", "cciss", "md", "xen", "net", "pts", "shm"):
            return None
        return parts[2], parts[3]
    return None


@dataclass(frozen=True)
class LvFact:
    vg: str
    name: str
    size: int
    attr: str = ""

    @property
    def full_name(self) -> str:
        return f"{self.vg}/{self.name}"

    @property
    def path(self) -> str:
        return f"/dev/{self.vg}/{self.name}"

    @property
    def is_open(self) -> bool:
        return len(self.attr) > 5 and self.attr[5] == "o"


@dataclass(frozen=True)
class VgFact:
    name: str
    size: int
    free: int
    extent_size: int = 4 * 1024**2


@dataclass(frozen=True)
class StorageFacts:
    vgs: tuple[VgFact, ...]
    lvs: tuple[LvFact, ...]

    def vg(self, name: str) -> VgFact | None:
        return next((v for v in self.vgs if v.name == name), None)

    def lv(self, vg: str, name: str) -> LvFact | None:
        return next((lv for lv in self.lvs if lv.vg == vg and lv.name == name), None)

    def lv_at(self, path: str) -> LvFact | None:
        ref = lv_for_path(path)
        return self.lv(*ref) if ref else None


def _report(text: str, key: str) -> list[dict[str, str]]:
    try:
        data = json.loads(text)
        return [row for block in data["report"] for row in block.get(key, [])]
    except (json.JSONDecodeError, KeyError, TypeError) as e:
        raise ParseError(f"LVM {key} report is not the JSON lvm2 prints ({e}); fxkit needs "
                         "lvm2 >= 2.02.158 for --reportformat json") from None


def parse_lvs_json(text: str) -> list[LvFact]:
    return [LvFact(r["vg_name"], r["lv_name"], int(r["lv_size"].strip() or 0),
                   r.get("lv_attr", "")) for r in _report(text, "lv")]


def parse_vgs_json(text: str) -> list[VgFact]:
    return [VgFact(r["vg_name"], int(r["vg_size"].strip() or 0), int(r["vg_free"].strip() or 0),
                   int((r.get("vg_extent_size") or "4194304").strip()))
            for r in _report(text, "vg")]


def read_storage(host: Host, sudo: bool = False) -> StorageFacts:
    """VGs and LVs, sizes in bytes (two read-only commands)."""
    common = ["--reportformat", "json", "--units", "b", "--nosuffix"]
    vgs = host.run(["vgs", *common, "-o", "vg_name,vg_size,vg_free,vg_extent_size"],
                   read_only=True, check=False, sudo=sudo)
    lvs = host.run(["lvs", *common, "-o", "vg_name,lv_name,lv_size,lv_attr"],
                   read_only=True, check=False, sudo=sudo)
    return StorageFacts(tuple(parse_vgs_json(vgs.stdout)) if vgs.exit_status == 0 else (),
                        tuple(parse_lvs_json(lvs.stdout)) if lvs.exit_status == 0 else ())


def round_to_extents(size: int, extent: int) -> int:
    return -(-size // extent) * extent


def lv_create_step(vg: str, name: str, size: int, *, sudo: bool = False) -> Step:
    """The step creating ``vg/name`` of ``size`` bytes (re-checked right before it runs)."""
    def needed(host: Host) -> bool:
        return read_storage(host, sudo).lv(vg, name) is None
    return Step(f"Create logical volume {vg}/{name} ({size // 1024**2} MiB)",
                ("lvcreate", "-L", f"{size // 1024**2}m", "-n", name, vg), needed=needed,
                sudo=sudo)


def lv_remove_step(vg: str, name: str, *, sudo: bool = False) -> Step:
    def needed(host: Host) -> bool:
        return read_storage(host, sudo).lv(vg, name) is not None
    return Step(f"Remove logical volume {vg}/{name} and everything on it",
                ("lvremove", "-f", f"{vg}/{name}"), destroys=f"{vg}/{name}", needed=needed,
                sudo=sudo)


def lv_wipe_step(vg: str, name: str, *, sudo: bool = False) -> Step:
    """Overwrite the whole LV with zeros (util-linux ``blkdiscard --zeroout``)."""
    return Step(f"Overwrite {vg}/{name} with zeros so its data cannot be read again",
                ("blkdiscard", "-z", f"/dev/{vg}/{name}"), destroys=f"{vg}/{name}", sudo=sudo)
