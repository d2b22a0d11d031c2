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

import re
from collections.abc import Iterable, Mapping
from functools import partial
from typing import TYPE_CHECKING

from fxkit.errors import FxkitError, InvalidRequest, ParseError
from fxkit.lvm.facts import DiskUsers, LvmFacts, read_facts
from fxkit.lvm.names import LvRef, parse_lv_ref
from fxkit.privilege import become
from fxkit.xen.config import DomainConfig
from fxkit.xen.config_files import list_command
from fxkit.xen.domains import CONFIG_DIR
from fxkit.xen.facts import read_config_set
from fxkit.xen.toolstack import Toolstack

if TYPE_CHECKING:
    from fxkit.host import Host

# /dev subdirectories that hold other block devices, never a volume group
_NOT_VGS = frozenset({"mapper", "disk", "cciss", "md", "xen", "net", "pts", "shm", "block"})
# An LV path anywhere in a line fxkit could not parse: counted as used, to be safe.
_NAME = re.compile(r"^[ \t]*name[ \t]*=[ \t]*[\"']([^\"'\n]+)[\"']", re.M)
_LV_PATH = re.compile(r"/dev/(?:mapper/[A-Za-z0-9._+-]+|[A-Za-z0-9._+-]+/[A-Za-z0-9._+-]+)")


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


def disk_users(configs: Mapping[str, DomainConfig], live: Iterable[str] = (),
               unreadable: Mapping[str, str] | None = None) -> DiskUsers:
    """From Xen configs (path -> DomainConfig): the LVs each domU's config names, those of
    the live domains (names in ``live``), and the device each guest sees (``xvda1``).

    A config with a disk line xl would refuse, and each text in ``unreadable`` (path ->
    text of a config that does not parse), still counts as using every LV path written in
    it: only plans on those LVs are held back, with the reason in ``note``."""
    referenced: dict[str, set[str]] = {}
    running: dict[str, set[str]] = {}
    devices: dict[str, dict[str, str]] = {}
    doubtful: list[str] = []
    alive = set(live)

    def use(key: str, domain: str, vdev: str | None) -> None:
        referenced.setdefault(key, set()).add(domain)
        if vdev:
            devices.setdefault(key, {})[domain] = vdev.split(":")[0]
        if domain in alive:
            running.setdefault(key, set()).add(domain)

    for path, cfg in configs.items():
        domain = cfg.name or _domain_of(path)
        try:
            disks = cfg.disks
        except ParseError:
            doubtful.append(path)
            for key in lv_refs_in(" ".join(cfg.get_list("disk"))):
                use(key, domain, None)
            continue
        for disk in disks:
            ref = lv_ref_for_disk(disk.path or "")
            if ref is not None:     # else an image file or a plain partition, not an LV
                use(ref.full_name, domain, disk.vdev)
    for path, text in (unreadable or {}).items():
        doubtful.append(path)
        named = _NAME.search(text)
        for key in lv_refs_in(text):
            use(key, named.group(1) if named else _domain_of(path), None)
    note = (f"configs fxkit could not read ({', '.join(sorted(doubtful))}) count as using "
            "every LV path written in them") if doubtful else ""
    return DiskUsers({k: tuple(sorted(v)) for k, v in referenced.items()},
                     {k: tuple(sorted(v)) for k, v in running.items()}, devices, note)


def _domain_of(path: str) -> str:
    return path.rsplit("/", 1)[-1].removesuffix(".cfg")


def lv_refs_in(text: str) -> set[str]:
    """``vg/lv`` of every LV path (``/dev/VG/LV``, ``/dev/mapper/VG-LV``) written in
    ``text``: what a config fxkit cannot parse may use."""
    return {ref.full_name for m in _LV_PATH.finditer(text)
            if (ref := lv_ref_for_disk(m.group())) is not None}


def disk_users_reads(tool: str = "xl") -> list[tuple[str, ...]]:
    """What ``read_disk_users`` reads that needs no other answer (the configs' list, the
    live list), for a caller that sends it ahead (``Host.reads_ahead``)."""
    return [list_command(CONFIG_DIR), (tool, "list")]


def read_disk_users(host: Host, tool: str = "xl", *, sudo: bool = False) -> DiskUsers:
    """Which domUs use which LV on ``host``: every config in /etc/xen and the live list.

    On a host where the toolstack cannot list domains, the configs alone count and the
    ``note`` says why no domain counts as running. A config that cannot be parsed counts
    as using every LV path written in it (see ``disk_users``).
    """
    become(host, sudo)           # configs and toolstack alike
    configs, _, texts = read_config_set(host)
    notes = []
    try:
        live = [d.name for d in Toolstack(host, tool, sudo=sudo).list()
                if d.alive and not d.is_dom0]
    except FxkitError as e:
        live = []
        notes.append(f"could not list running domains ({str(e).splitlines()[0]})")
    users = disk_users(configs, live, {p: t for p, t in texts.items() if p not in configs})
    notes.append(users.note)
    return DiskUsers(users.referenced_by, users.running, users.devices,
                     "; ".join(n for n in notes if n))


def read_lvm_facts(host: Host, *, sudo: bool = False, tool: str = "xl",
                   filesystems: bool = True, fs_sizes: bool | Iterable[str] = True) -> LvmFacts:
    """LVM facts with the domU users of each LV: what every LV plan reads first."""
    return read_facts(host, sudo=sudo, filesystems=filesystems, fs_sizes=fs_sizes,
                      users=partial(read_disk_users, tool=tool, sudo=sudo),
                      users_reads=disk_users_reads(tool))
