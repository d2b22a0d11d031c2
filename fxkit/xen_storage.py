"""Which LV a domU's disk names: ``phy:/dev/mapper/lvm-secours--root`` -> lvm/secours-root.

A domU disk is an LV when its path is ``/dev/VG/LV`` or ``/dev/mapper/VG-LV``;
partitions, md arrays and ``/dev/disk/by-*`` links are not::

    >>> lv_for_path("/dev/mapper/lvm-secours--root")
    ('lvm', 'secours-root')
    >>> lv_for_path("phy:/dev/md/0") is None
    True

Everything else about LVM lives in ``fxkit.lvm``, ``fxkit.lvm_sizes`` and ``fxkit.lvm_names``.
"""

from __future__ import annotations

from fxkit.errors import InvalidRequest
from fxkit.lvm_names import LvRef, parse_lv_ref

__all__ = ["lv_for_path", "lv_ref_for_disk"]

# /dev subdirectories that hold other block devices, never a volume group
_NOT_VGS = frozenset({"mapper", "disk", "cciss", "md", "xen", "net", "pts", "shm", "block"})


def lv_ref_for_disk(path: str) -> LvRef | None:
    """The LV a domU disk path names (``phy:`` prefix allowed), or None if it is no LV."""
    try:
        ref = parse_lv_ref(path)
    except InvalidRequest:
        return None
    raw = path.strip().rpartition(":")[2]           # drop phy:, tap:aio: and the like
    if not raw.startswith("/dev/") or (not raw.startswith("/dev/mapper/")
                                       and ref.vg in _NOT_VGS):
        return None
    return ref


def lv_for_path(path: str) -> tuple[str, str] | None:
    """(vg, lv) named by ``/dev/VG/LV`` or ``/dev/mapper/VG-LV`` (dashes doubled), else None."""
    ref = lv_ref_for_disk(path)
    return (ref.vg, ref.lv) if ref else None
