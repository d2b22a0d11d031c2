"""Which LV a domU's disk names; the old storage reader's names, now served by ``fxkit.lvm``.

A domU disk is an LV when its path is ``/dev/VG/LV`` or ``/dev/mapper/VG-LV``;
partitions, md arrays and ``/dev/disk/by-*`` links are not::

    >>> lv_for_path("/dev/mapper/lvm-secours--root")
    ('lvm', 'secours-root')
    >>> lv_for_path("phy:/dev/md/0") is None
    True

``parse_size``, ``read_storage`` and ``parse_lvs_json`` remain for callers written
against the former reader (``fxkit.seminar``, ``bench/scale.py``); new code uses
``fxkit.lvm``, ``fxkit.lvm_sizes`` and ``fxkit.lvm_names`` directly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fxkit.errors import InvalidRequest
from fxkit.lvm import LogicalVolume, LvmState, parse_lvs_json, read_lvm
from fxkit.lvm_names import LvRef, parse_lv_ref
from fxkit.lvm_sizes import parse_size as _parse_lvm_size

if TYPE_CHECKING:
    from fxkit.host import Host

__all__ = ["lv_for_path", "lv_ref_for_disk", "parse_size", "read_storage", "parse_lvs_json"]

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


def parse_size(text: str | int) -> int:
    """Bytes from ``4G``, ``512M`` (LVM syntax, default MiB) or an int of bytes."""
    if isinstance(text, int):
        return text
    return _parse_lvm_size(text, allow_sign=False).value


class _Lv:
    """A ``fxkit.lvm.LogicalVolume`` that also answers ``.size`` (bytes), as the old reader's."""

    def __init__(self, lv: LogicalVolume) -> None:
        self._lv = lv

    @property
    def size(self) -> int:
        return self._lv.size_bytes

    def __getattr__(self, name: str) -> Any:
        return getattr(self._lv, name)


class _Storage:
    """``read_storage``'s answer: ``lv(vg, name)`` and ``vgs``/``lvs`` over an ``LvmState``."""

    def __init__(self, state: LvmState) -> None:
        self.state, self.vgs, self.lvs = state, state.vgs, state.lvs

    def lv(self, vg: str, name: str) -> _Lv | None:
        found = self.state.lv(LvRef(vg, name))
        return _Lv(found) if found else None


def read_storage(host: Host, sudo: bool = False) -> _Storage:
    """VGs and LVs of ``host`` (``fxkit.lvm.read_lvm``); prefer ``read_lvm`` in new code."""
    return _Storage(read_lvm(host, sudo=sudo))
