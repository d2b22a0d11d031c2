"""LVM plans: pure functions from ``LvmFacts`` and a request to a ``Plan``.

Every precondition is checked against the facts before a plan is returned;
each step re-checks fresh facts right before it runs (``needed``), and
``replan`` re-reads the host and plans the same request again, which must
come out empty. Relative sizes are resolved to absolute extents at planning
time, so re-planning never grows an LV twice::

    >>> facts = read_facts(connect("lab"))                     # doctest: +SKIP
    >>> print(plan_lv_extend(facts, "lvm/web-root", "+2G"))    # doctest: +SKIP

Wiping uses ``dd if=/dev/zero ... bs=1M count=N conv=fsync`` rather than
``blkdiscard -z``: dd exists on every host (2007's included), works on RAID
controllers without discard or WRITE_ZEROES support, is bounded by ``count``
(never an end-of-device error), and ``conv=fsync`` makes the zeros reach the
disk before the step reports success.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from fxkit.errors import InvalidRequest, PreconditionFailed
from fxkit.lvm.facts import LvmFacts
from fxkit.lvm.guest import guest_resize_argv, guest_target
from fxkit.lvm.names import validate_lv_name
from fxkit.lvm.plans_shrink import plan_lv_reduce
from fxkit.lvm.sizes import human, target_extents
from fxkit.lvm.state import LogicalVolume
from fxkit.lvm.steps import (
    EXT_FS,
    MiB,
    extents_now,
    fs_now,
    lv_absent,
    lv_of,
    parse_size_request,
    wipe_steps,
)
from fxkit.plan import Plan, Step, keeps_facts

if TYPE_CHECKING:
    from fxkit.host import Host


def _mkfs_step(fs: str, lv_path: str, full: str, facts: LvmFacts) -> Step:
    if fs == "swap":
        argv: tuple[str, ...] = ("mkswap", lv_path)
    elif fs in EXT_FS:
        argv = (f"mkfs.{fs}", lv_path)
    else:
        raise InvalidRequest(f"filesystem {fs!r} is not supported: use ext4, ext3 or swap")
    su = facts.sudo
    return Step(f"Make a filesystem ({fs}) on {full}", argv, sudo=su,
                needed=lambda h: getattr(fs_now(h, lv_path, su), "type", None) != fs)


def _has_fs(f: LvmFacts, full: str, fs: str) -> bool:
    lv = f.lvm.lv(full)
    info = f.fs(lv) if lv else None
    return info is not None and info.type == fs


@keeps_facts
def plan_lv_create(facts: LvmFacts, vg: str, name: str, size: str | int, *,
                   fs: str | None = None, wipe: int | str | None = None, activate: bool = True,
                   zero: bool = True) -> Plan:
    """A new LV of ``size`` in ``vg``; then optionally zero its start (``wipe=MiB``) or all of
    it (``wipe="all"``), and make a filesystem (``fs="ext4"`` or ``"swap"``).

    ``activate=False, zero=False`` (``-an -Zn``) is for hosts without device-mapper;
    wiping and mkfs need an active LV.
    """
    validate_lv_name(name, vg)
    if (fs or wipe) and not activate:
        raise InvalidRequest("wipe= and fs= need the LV active (device-mapper): drop them or "
                             "leave activate=True")
    req = parse_size_request(size, allow_sign=False)
    vgf = facts.lvm.vg(vg)
    if vgf is None:
        raise PreconditionFailed(f"VG {vg!r} does not exist (VGs here: "
                                 f"{', '.join(v.name for v in facts.lvm.vgs) or 'none'}); "
                                 "create it first with plan_vg_create")
    want = target_extents(req, extent_size=vgf.extent_size, vg_extents=vgf.extent_count,
                          vg_free=vgf.free_count)
    full = f"{vg}/{name}"
    path = f"/dev/{vg}/{name}"
    title = f"Create LV {full} ({human(want.extents * vgf.extent_size)})"
    warnings = [want.note] if want.note else []
    existing = facts.lvm.lv(full)
    steps: list[Step] = []
    if existing is not None:
        have = facts.lvm.extents(existing)
        if have < want.extents:
            raise PreconditionFailed(f"LV {full} already exists with {human(existing.size_bytes)}"
                                     f", smaller than the {human(want.extents * vgf.extent_size)}"
                                     " asked: grow it with plan_lv_extend, or pick another name")
    else:
        if want.extents <= 0:
            raise InvalidRequest(f"size {size!r} comes to 0 extents: ask for at least "
                                 f"{human(vgf.extent_size)}")
        if want.extents > vgf.free_count:
            raise PreconditionFailed(
                f"VG {vg} has {vgf.free_count} free extents ({human(vgf.free_bytes)}); {full} "
                f"needs {want.extents} ({human(want.extents * vgf.extent_size)}). Free space "
                f"(remove an unused LV) or add a PV (plan_vg_extend), or ask for less")
        argv = ["lvcreate", "--yes", "-n", name, "-l", str(want.extents)]
        if not activate:
            argv.append("-an")
        if not zero:
            argv.append("-Zn")
        steps.append(Step(f"Create LV {full} of {want.extents} extents", (*argv, vg),
                          sudo=facts.sudo, needed=lv_absent(full, facts.sudo)))
        if wipe:
            nbytes = want.extents * vgf.extent_size if wipe == "all" else int(wipe) * MiB
            su = facts.sudo
            steps += wipe_steps(path, full, nbytes, facts,
                                lambda h: fs_now(h, path, su) is None,
                                want.extents * vgf.extent_size)
    if fs and not _has_fs(facts, full, fs):
        steps.append(_mkfs_step(fs, path, full, facts))
    return Plan(title, steps, warnings,
                reason=f"{full} already exists" + (f" with {fs}" if fs else ""),
                replan=lambda host: plan_lv_create(facts.reread(host), vg, name, want.extents,
                                                   fs=fs, activate=activate, zero=zero))


@keeps_facts
def plan_lv_extend(facts: LvmFacts, ref: str, size: str | int, *, resize_fs: bool = True,
                   allow_shrink: bool = False, guest_ssh: Mapping[str, str] | None = None
                   ) -> Plan:
    """Grow an LV to ``size`` (``+5G``, ``20G``, ``-l +10``, ``+100%FREE``) and its filesystem.

    A smaller target is refused unless ``allow_shrink`` (then it is ``plan_lv_reduce``,
    which needs confirmation). The filesystem of a running domU's disk is never touched
    from dom0: the plan grows the LV and says how to grow the filesystem in the guest,
    or, when ``guest_ssh`` maps that domU to an SSH target dom0 reaches without a
    password (``{"titanic": "root@titanic"}``), adds a step that does it there.
    """
    lv = lv_of(facts, ref)
    full, vg = lv.full_name, facts.lvm.vg(lv.vg)
    assert vg is not None
    cur = facts.lvm.extents(lv)
    req = parse_size_request(size)
    want = target_extents(req, extent_size=vg.extent_size, current=cur,
                          vg_extents=vg.extent_count, vg_free=vg.free_count)
    if want.extents < cur:
        if not allow_shrink:
            raise InvalidRequest(f"{full} is {human(lv.size_bytes)}; {size!r} would shrink it to "
                                 f"{human(want.extents * vg.extent_size)}. Extending never "
                                 "shrinks: use plan_lv_reduce (or allow_shrink=True)")
        return plan_lv_reduce(facts, ref, want.extents)
    target = want.extents * vg.extent_size
    steps: list[Step] = []
    warnings = [want.note] if want.note else []
    if want.extents > cur:
        if want.extents - cur > vg.free_count:
            raise PreconditionFailed(
                f"VG {vg.name} has {vg.free_count} free extents ({human(vg.free_bytes)}); "
                f"growing {full} to {human(target)} needs {want.extents - cur} more. Free "
                "space or add a PV (plan_vg_extend) first")
        su, size_of = facts.sudo, vg.extent_size
        steps.append(Step(f"Grow LV {full} from {human(lv.size_bytes)} to {human(target)}",
                          ("lvextend", "-l", str(want.extents), full), sudo=su,
                          needed=lambda h: (extents_now(h, full, size_of, su) or want.extents)
                          < want.extents))
    users = facts.require_users(full, "grow").running.get(full, ()) if resize_fs else \
        facts.running_users.get(full, ())
    info = facts.fs(lv)
    for target_host in (guest_ssh or {}).values():
        guest_target(target_host)       # refused before anything is planned
    ssh_to = [(u, (guest_ssh or {})[u]) for u in users if u in (guest_ssh or {})]
    if users and resize_fs and ssh_to and (info is None or info.type in EXT_FS):
        for dom, target_host in ssh_to:
            vdev = facts.guest_devices.get(full, {}).get(dom)
            if not vdev:
                raise PreconditionFailed(f"no device name for {full} in {dom}'s config: "
                                         "cannot tell which device to grow inside the guest")
            argv = guest_resize_argv(target_host, vdev)   # both checked: the guest's shell
            steps.append(Step(f"Grow the filesystem on {full} inside {dom} (/dev/{vdev}), "
                              "over SSH from dom0", argv, timeout=3600))
        warnings.append(f"{full} is a disk of the running domU {', '.join(users)}: its "
                        "filesystem is grown inside the guest over SSH; the guest must "
                        "already see the new size (recent kernels do; else reboot it first)")
    elif users:
        if resize_fs and (info is None or info.type != "swap"):
            warnings.append(
                f"{full} is a disk of the running domU {', '.join(users)}: its filesystem is "
                "mounted in the guest, so fxkit does not touch it from dom0. Inside the guest, "
                "once it sees the new size (recent kernels do at once; else after a reboot), "
                "run: resize2fs <its device, e.g. /dev/xvda1 or /dev/hda1>")
    elif resize_fs and info is not None:
        if info.type in EXT_FS:
            online = lv.attr.open   # open but not a running guest's disk: mounted in dom0
            if info.size_bytes is None:
                raise PreconditionFailed(
                    f"the size of the filesystem on {full} was not read, so the plan cannot "
                    f"tell whether it fills the LV: read the facts with fs_sizes=True (or "
                    f"fs_sizes=[{full!r}])")
            if info.size_bytes < target:
                steps += _grow_fs_steps(facts, lv, target, online)
        elif info.type == "swap" and want.extents > cur:
            warnings.append(f"{full} holds swap: it was not grown. To use the new space: "
                            "swapoff it, mkswap -U <old UUID> it, swapon it")
    elif resize_fs and lv.attr.active and want.extents > cur:
        warnings.append(f"no filesystem found on {full}: only the LV grows")
    return Plan(f"Extend {full} to {human(target)}", steps, warnings,
                reason=f"{full} is already {human(target)}" + (
                    " and its filesystem fills it" if info and info.type in EXT_FS else ""),
                replan=lambda host: plan_lv_extend(facts.reread(host), full, want.extents,
                                                   resize_fs=resize_fs and not users))


def _grow_fs_steps(facts: LvmFacts, lv: LogicalVolume, target: int, online: bool) -> list[Step]:
    full, path, su = lv.full_name, lv.path, facts.sudo

    def small(h: Host) -> bool:
        info = fs_now(h, path, su, size=True)
        return info is not None and (info.size_bytes or 0) < target
    steps = []
    if not online:
        steps.append(Step(f"Check the filesystem on {full} (resize2fs requires it offline)",
                          ("e2fsck", "-f", "-y", path), sudo=su, needed=small, timeout=3600))
    steps.append(Step(f"Grow the filesystem on {full} to fill the LV"
                      + (" (online: it is mounted)" if online else ""),
                      ("resize2fs", path), sudo=su, needed=small, timeout=3600))
    return steps
