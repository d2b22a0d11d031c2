"""Which LV a domU's disk names, and which domUs use which LV: Xen joined to LVM.

``phy:/dev/mapper/lvm-secours--root`` names lvm/secours-root.

A domU disk is an LV when its path is ``/dev/VG/LV`` or ``/dev/mapper/VG-LV``;
partitions, md arrays and ``/dev/disk/by-*`` links are not::

    >>> lv_for_path("/dev/mapper/lvm-secours--root")
    ('lvm', 'secours-root')
    >>> lv_for_path("phy:/dev/md/0") is None
    True

``read_disk_users`` reads every domU config and the live domain list and says which
domUs use each LV (an ``fxkit.lvm.DiskUsers``); ``read_lvm_facts`` gives LVM facts with it,
which is what the LV plans need to refuse harming a guest's disk.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import partial
from typing import TYPE_CHECKING

from fxkit.errors import FxkitError, InvalidRequest
from fxkit.lvm.facts import DiskUsers, LvmFacts, read_facts
from fxkit.lvm.names import LvRef, parse_lv_ref
from fxkit.privilege import become
from fxkit.xen.config import DomainConfig
from fxkit.xen.facts import read_configs
from fxkit.xen.toolstack import Toolstack

if TYPE_CHECKING:
    from fxkit.host import Host

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


def disk_users(configs: Mapping[str, DomainConfig], live: Iterable[str] = ()) -> DiskUsers:
    """From Xen configs (path -> DomainConfig): the LVs each domU's config names, those of
    the live domains (names in ``live``), and the device each guest sees (``xvda1``)."""
    referenced: dict[str, set[str]] = {}
    running: dict[str, set[str]] = {}
    devices: dict[str, dict[str, str]] = {}
    alive = set(live)
    for path, cfg in configs.items():
        domain = cfg.name or path.rsplit("/", 1)[-1].removesuffix(".cfg")
        for disk in cfg.disks:
            ref = lv_ref_for_disk(disk.path or "")
            if ref is None:
                continue   # an image file or a plain partition, not an LV
            key = ref.full_name
            referenced.setdefault(key, set()).add(domain)
            if disk.vdev:
                devices.setdefault(key, {})[domain] = disk.vdev.split(":")[0]
            if domain in alive:
                running.setdefault(key, set()).add(domain)
    return DiskUsers({k: tuple(sorted(v)) for k, v in referenced.items()},
                     {k: tuple(sorted(v)) for k, v in running.items()}, devices)


def read_disk_users(host: Host, tool: str = "xl", *, sudo: bool = False) -> DiskUsers:
    """Which domUs use which LV on ``host``: every config in /etc/xen and the live list.

    On a host where the toolstack cannot list domains, the configs alone count and the
    ``note`` says why no domain counts as running.
    """
    become(host, sudo)           # configs and toolstack alike
    configs, _ = read_configs(host)
    note = ""
    try:
        live = [d.name for d in Toolstack(host, tool, sudo=sudo).list()
                if d.alive and not d.is_dom0]
    except FxkitError as e:
        live, note = [], f"could not list running domains ({str(e).splitlines()[0]})"
    users = disk_users(configs, live)
    return DiskUsers(users.referenced_by, users.running, users.devices, note)


def read_lvm_facts(host: Host, *, sudo: bool = False, tool: str = "xl",
                   filesystems: bool = True, fs_sizes: bool | Iterable[str] = True) -> LvmFacts:
    """LVM facts with the domU users of each LV: what every LV plan reads first."""
    return read_facts(host, sudo=sudo, filesystems=filesystems, fs_sizes=fs_sizes,
                      users=partial(read_disk_users, tool=tool, sudo=sudo))
