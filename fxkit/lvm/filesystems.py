"""What is on an LV: the filesystem type (one ``blkid`` for many LVs) and an ext size.

    >>> parse_dumpe2fs_size("Block count:              2621440\\nBlock size:               4096\\n")
    10737418240
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fxkit.errors import InvalidRequest
from fxkit.lvm.names import parse_lv_ref
from fxkit.lvm.state import LogicalVolume

if TYPE_CHECKING:
    from fxkit.host import Host

EXT_TYPES = ("ext2", "ext3", "ext4")


@dataclass(frozen=True)
class FsInfo:
    """A filesystem as ``blkid`` names it; an ext filesystem's size when it was read."""

    type: str
    size_bytes: int | None = None


def parse_blkid_export(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def parse_blkid_export_all(text: str) -> dict[str, dict[str, str]]:
    """``blkid -o export DEV...``: one block of KEY=value lines per device found (blank
    lines between them), each starting with DEVNAME; devices without a signature are left
    out (util-linux misc-utils/blkid.c, ``print_value`` in export mode)."""
    out: dict[str, dict[str, str]] = {}
    current: dict[str, str] = {}
    for line in text.splitlines():
        key, eq, value = line.partition("=")
        if not eq:
            continue
        if key == "DEVNAME":
            current = out.setdefault(value, {})
        current[key] = value
    return out


def parse_dumpe2fs_size(text: str) -> int | None:
    fields = {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in
                                                   text.splitlines()) if v}
    try:
        return int(fields["Block count"]) * int(fields["Block size"])
    except (KeyError, ValueError):
        return None


def read_fs_size(host: Host, path: str, *, sudo: bool = False) -> int | None:
    """The size of the ext filesystem on ``path`` (``dumpe2fs -h``), None if unreadable."""
    return read_fs_sizes(host, [path], sudo=sudo)[0]


def read_fs_sizes(host: Host, paths: Sequence[str], *, sudo: bool = False
                  ) -> list[int | None]:
    """``read_fs_size`` of each path, the ``dumpe2fs`` sent together (``run_reads``)."""
    dumps = host.run_reads([["dumpe2fs", "-h", path] for path in paths], check=False,
                           sudo=sudo) if paths else []
    return [parse_dumpe2fs_size(d.stdout) if d.exit_status == 0 else None for d in dumps]


def _blkid(host: Host, paths: list[str], sudo: bool) -> dict[str, dict[str, str]]:
    if not paths:
        return {}
    r = host.run(["blkid", "-o", "export", *paths], check=False, read_only=True, sudo=sudo)
    return parse_blkid_export_all(r.stdout) if r.exit_status == 0 else {}


def read_filesystem(host: Host, path: str, *, sudo: bool = False,
                    size: bool = True) -> FsInfo | None:
    """The filesystem on device ``path`` now (one ``blkid``, and ``dumpe2fs`` for an ext
    size when ``size``), or None when it carries no signature."""
    tags = next(iter(_blkid(host, [path], sudo).values()), {})
    kind = tags.get("TYPE")
    if not kind:
        return None
    wanted = size and kind in EXT_TYPES
    return FsInfo(kind, read_fs_size(host, path, sudo=sudo) if wanted else None)


def _lv_of(devname: str, lvs: Mapping[str, LogicalVolume]) -> LogicalVolume | None:
    if devname in lvs:
        return lvs[devname]
    try:
        key = parse_lv_ref(devname).full_name
    except InvalidRequest:
        return None
    return next((lv for lv in lvs.values() if lv.full_name == key), None)


def read_filesystems(host: Host, lvs: Iterable[LogicalVolume], *, sudo: bool = False,
                     sizes: bool | Collection[str] = True) -> dict[str, FsInfo]:
    """The filesystem on each active LV (``vg/lv`` -> FsInfo), with one ``blkid`` for all.

    ``sizes`` says whose ext size to read (one ``dumpe2fs`` each, sent together): every
    one (True), none (False), or the LVs named (``["lvm/web-root"]``).
    """
    active = {lv.path: lv for lv in lvs if lv.attr.active}
    types: dict[str, tuple[LogicalVolume, str]] = {}
    found = _blkid(host, list(active), sudo)
    for devname, tags in found.items():
        lv = _lv_of(devname, active)
        if lv is not None and tags.get("TYPE"):
            types[lv.full_name] = (lv, tags["TYPE"])
    if len(active) > 1 and any(_lv_of(d, active) is None for d in found):
        # blkid named a device by another alias (/dev/dm-N): ask for the rest one by one
        for lv in active.values():
            if lv.full_name not in types:
                tags = next(iter(_blkid(host, [lv.path], sudo).values()), {})
                if tags.get("TYPE"):
                    types[lv.full_name] = (lv, tags["TYPE"])

    ext = [(full, lv) for full, (lv, kind) in types.items() if kind in EXT_TYPES and
           (sizes is True or (not isinstance(sizes, bool) and full in sizes))]
    size = dict(zip((full for full, _ in ext),
                    read_fs_sizes(host, [lv.path for _, lv in ext], sudo=sudo), strict=True))
    return {full: FsInfo(kind, size.get(full)) for full, (lv, kind) in types.items()}
