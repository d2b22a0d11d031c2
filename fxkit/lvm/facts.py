"""Everything an LVM plan checks: LVM state, filesystems on LVs, and which domUs use which LV.

``read_facts(host)`` gathers it in a fixed number of commands (pvs, vgs, lvs, one blkid
for every active LV, ``ls /dev``) plus one ``dumpe2fs`` per ext filesystem whose size is
asked for. Which domUs use an LV is Xen's knowledge, not LVM's: it comes in as a
``DiskUsers`` value (``fxkit.xen.read_disk_users`` reads it), or as a function that reads
it, so that re-reading the facts after an apply (``facts.reread(host)``) reads it again::

    >>> from fxkit.xen import read_disk_users                       # doctest: +SKIP
    >>> facts = read_facts(fx, users=read_disk_users)               # doctest: +SKIP

Plans that could break a domU's disk (shrink, remove, grow a filesystem) refuse facts read
without users: nothing then says the LV is not some guest's root.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from fxkit.errors import PreconditionFailed
from fxkit.layers import require_layer
from fxkit.lvm.filesystems import FsInfo, read_filesystems
from fxkit.lvm.names import parse_lv_ref
from fxkit.lvm.state import LVM_READS, LogicalVolume, LvmState, read_lvm
from fxkit.privilege import become

if TYPE_CHECKING:
    from fxkit.host import Host


@dataclass(frozen=True)
class DiskUsers:
    """Which domUs use which LV (keys are ``vg/lv``), as the Xen side found it.

    ``referenced_by``: the domUs whose config names the LV, running or not; ``running``:
    those of them that run now; ``devices``: the device each guest sees it as (``xvda1``);
    ``note``: what could not be read (then the lists may be short).
    """

    referenced_by: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    running: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    devices: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    note: str = ""


UsersSource = DiskUsers | Callable[["Host"], DiskUsers] | None
DEV_LIST = ("ls", "-1", "/dev")


@dataclass(frozen=True)
class LvmFacts:
    lvm: LvmState
    filesystems: Mapping[str, FsInfo] = field(default_factory=dict)     # "vg/lv" -> fs
    users: DiskUsers | None = None                                      # None: not read
    dev_entries: frozenset[str] = frozenset()
    sudo: bool = False
    options: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def referenced_by(self) -> Mapping[str, tuple[str, ...]]:
        return self.users.referenced_by if self.users else {}

    @property
    def running_users(self) -> Mapping[str, tuple[str, ...]]:
        return self.users.running if self.users else {}

    @property
    def guest_devices(self) -> Mapping[str, Mapping[str, str]]:
        return self.users.devices if self.users else {}

    def fs(self, lv: LogicalVolume) -> FsInfo | None:
        return self.filesystems.get(lv.full_name)

    def require_users(self, full: str, action: str) -> DiskUsers:
        """The domU users, or a refusal: ``action`` on ``full`` is not safe without them."""
        if self.users is None:
            raise PreconditionFailed(
                f"cannot {action} {full}: these LVM facts do not say which domUs use it. "
                "Read them with fxkit.xen.read_lvm_facts(host) (or fxkit.lvm.read_facts(host, "
                "users=fxkit.xen.read_disk_users)); on a host without Xen, pass "
                "users=DiskUsers()")
        return self.users

    def reread(self, host: Host) -> LvmFacts:
        """The same facts, read again from ``host`` (what a plan's ``replan`` plans from)."""
        return read_facts(host, **dict(self.options))

    def with_references(self, referenced_by: Mapping[str, Iterable[str]] | None) -> LvmFacts:
        """These facts with ``referenced_by`` (LV path in any form -> domU names) merged in."""
        if not referenced_by or self.users is None:
            return self
        users = self.users
        merged = {k: tuple(v) for k, v in users.referenced_by.items()}
        for path, names in referenced_by.items():
            key = parse_lv_ref(path).full_name
            merged[key] = tuple(sorted(set(merged.get(key, ())) | set(names)))
        return replace(self, users=replace(users, referenced_by=merged))


def read_facts(host: Host, *, sudo: bool = False, filesystems: bool = True,
               fs_sizes: bool | Iterable[str] = True, users: UsersSource = None,
               users_reads: Sequence[Sequence[str]] = ()) -> LvmFacts:
    """LVM state, filesystems on active LVs and /dev names from ``host``; domU users from
    ``users`` (a ``DiskUsers``, or a function of the host that reads them).

    ``fs_sizes``: whose ext filesystem size to read (True: all; or LV names).
    ``sudo=True`` is ``host.sudo = True`` (``connect(target, sudo=True)`` says it once);
    ``LvmFacts.sudo`` records whether the host ran through sudo, for the plan's steps.
    ``users_reads``: the reads of ``users`` that need no other answer; they go ahead
    with LVM's own (``Host.reads_ahead``).
    """
    sudo = become(host, sudo)
    with host.reads_ahead([*LVM_READS, DEV_LIST, *users_reads]):
        state = require_layer("lvm", lambda: read_lvm(host),
                              f"plan an LVM change on {host.name}")
        sizes = fs_sizes if isinstance(fs_sizes, bool) else frozenset(
            parse_lv_ref(ref).full_name for ref in fs_sizes)
        fs = read_filesystems(host, state.lvs, sizes=sizes) if filesystems else {}
        found = users(host) if callable(users) else users
        r = host.run(DEV_LIST, check=False, read_only=True)
    dev_entries = frozenset(r.stdout.split()) if r.exit_status == 0 else frozenset()
    return LvmFacts(state, fs, found, dev_entries, sudo,
                    {"sudo": sudo, "filesystems": filesystems, "fs_sizes": sizes,
                     "users": users, "users_reads": tuple(users_reads)})
